"""``track(log_to="tensorboard"|"mlflow")``: flopcast's figures in the real trackers' stores, read back with the
trackers' own readers (TensorBoard's EventAccumulator, MLflow's client), offline."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time

import pytest

from flopcast.errors import InputError
from flopcast.measure import roles, track
from flopcast.measure.samplers import Reading, Sampler
from flopcast.provenance import Basis

TAGS = {"flopcast/energy_kwh", "flopcast/co2e_kg", "flopcast/achieved_flop_per_s", "flopcast/mfu", "flopcast/loss"}


class FixedEnergy(Sampler):
    """A GPU that has used exactly ``joules`` whenever it is read."""

    component, backend = "gpu", "fixed"

    def __init__(self, joules):
        self.joules = joules

    def start(self, t):
        pass

    def read(self, t):
        return Reading("gpu", "fixed", Basis.MEASURED, self.joules, 100.0)


def _loop(steps=6, **kw):
    # 7.2 MJ = 2 kWh of IT energy; PUE 1.5 -> 3 kWh facility energy (hand derivation)
    with track(
        ledger=False,
        interval=0.03,
        flop_per_step=1e12,
        hardware="h100 sxm",
        pue=1.5,
        samplers=[FixedEnergy(7.2e6)],
        **kw,
    ) as run:
        for i in range(steps):
            run.step(loss=4.0 - 0.5 * i)
            time.sleep(0.02)
    return run.result


def _scalars(log_dir):
    """Every scalar in the event files: torch's writer stores v1 scalar summaries, TensorBoard's own writer v2
    summaries (scalar tensors of the scalars plugin); TensorBoard's reader gives both back."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util.tensor_util import make_ndarray

    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    out = {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
    for tag in acc.Tags()["tensors"]:
        out[tag] = [(e.step, float(make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]
    return out


@pytest.mark.parametrize("writer", ["torch", "tensorboard"])
def test_tensorboard_event_files_hold_the_figures_per_sample_and_final(tmp_path, monkeypatch, writer):
    pytest.importorskip("tensorboard")
    if writer == "torch":
        pytest.importorskip("torch")
    else:  # no torch: TensorBoard's own writer
        monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    rec = _loop(log_to="tensorboard", log_dir=tmp_path / "tb")
    assert rec.errors == ()
    got = _scalars(tmp_path / "tb")
    assert set(got) == TAGS
    energy = got["flopcast/energy_kwh"]
    assert len(energy) >= 2  # at least one sample while running, plus the final figures
    assert energy[-1] == (6, pytest.approx(3.0))  # 2 kWh IT x PUE 1.5
    assert rec.energy_kwh == pytest.approx(3.0)
    assert got["flopcast/co2e_kg"][-1][1] == pytest.approx(3.0 * rec.g_co2e_per_kwh / 1000, rel=1e-6)
    assert got["flopcast/loss"][-1] == (6, pytest.approx(1.5))
    assert got["flopcast/achieved_flop_per_s"][-1][1] == pytest.approx(rec.achieved_flop_per_s, rel=1e-6)
    assert got["flopcast/mfu"][-1][1] == pytest.approx(rec.mfu, rel=1e-6)
    assert all(s1 <= s2 for (s1, _), (s2, _) in itertools.pairwise(energy))  # steps never go back


def test_tensorboard_default_directory_is_runs_slash_run_name(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    monkeypatch.chdir(tmp_path)
    _loop(steps=2, log_to="TensorBoard", name="sweep-1")
    assert _scalars(tmp_path / "runs" / "sweep-1")["flopcast/energy_kwh"][-1][1] == pytest.approx(3.0)


def test_mlflow_file_store_holds_the_figures(tmp_path, monkeypatch):
    pytest.importorskip("mlflow", reason="mlflow-skinny not installed (pip install mlflow-skinny)")
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps its file store behind this switch
    rec = _loop(log_to="mlflow", log_dir=tmp_path / "mlruns", name="plain-loop")
    assert rec.errors == ()
    client = MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri())
    exp = client.get_experiment_by_name("flopcast")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.info.run_name == "plain-loop" and run.info.status == "FINISHED"
    energy = client.get_metric_history(run.info.run_id, "flopcast/energy_kwh")
    assert len(energy) >= 2 and max(m.step for m in energy) == 6
    assert run.data.metrics["flopcast/energy_kwh"] == pytest.approx(3.0)
    assert run.data.metrics["flopcast/loss"] == pytest.approx(1.5)
    assert set(run.data.metrics) == TAGS


def test_mlflow_active_run_receives_the_figures(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow", reason="mlflow-skinny not installed (pip install mlflow-skinny)")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri((tmp_path / "store").as_uri())
    try:
        with mlflow.start_run() as active:
            _loop(steps=2, log_to="mlflow")
            assert mlflow.active_run().info.run_id == active.info.run_id  # the user's run is left open
        got = mlflow.tracking.MlflowClient().get_run(active.info.run_id).data.metrics
    finally:
        mlflow.set_tracking_uri(None)
    assert got["flopcast/energy_kwh"] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"log_to": "wandb"}, "unknown log_to 'wandb' (--log-to); use one of"),
        ({"log_to": 3}, "unknown log_to 3"),
        ({"log_dir": "x"}, "without log_to"),
    ],
)
def test_bad_log_to_is_one_line(kw, says):
    with pytest.raises(InputError, match=r"^[^\n]*$") as err:
        track(ledger=False, **kw)
    assert says in str(err.value)


def test_cli_unknown_log_to_exits_2_before_the_command(tmp_path, capsys):
    from flopcast.cli import main

    marker = tmp_path / "ran"
    code = main(
        [
            "track",
            "--ledger",
            str(tmp_path / "l.sqlite"),
            "--log-to",
            "wandb",
            "--",
            sys.executable,
            "-c",
            f"open({str(marker)!r}, 'w')",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "unknown log_to 'wandb'" in err and len(err.strip().splitlines()) == 1
    assert not marker.exists()


def test_missing_library_fails_before_the_job(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    run = track(ledger=False, log_to="tensorboard")
    with pytest.raises(InputError, match="pip install tensorboard"):
        run.prepare()


def test_a_failing_tracker_is_noted_once_and_the_run_goes_on(tmp_path, monkeypatch):
    class Refusing(roles.FigureWriter):
        kind, where, writes = "tensorboard", "nowhere", 0

        def write(self, figures, step):
            Refusing.writes += 1
            raise OSError("disk full")

        def close(self):
            pass

    monkeypatch.setattr(roles, "open_writer", lambda *a: Refusing())
    rec = _loop(steps=3, log_to="tensorboard", log_dir=tmp_path)
    assert rec.status == "completed" and Refusing.writes == 1
    assert [e for e in rec.errors if "log_to" in e] == [
        "log_to=tensorboard (nowhere): OSError: disk full; no more figures written there"
    ]


def test_cli_track_writes_tensorboard(tmp_path, capsys):
    pytest.importorskip("tensorboard")
    from flopcast.cli import main

    code = main(
        [
            "track",
            "--json",
            "--ledger",
            str(tmp_path / "l.sqlite"),
            "--interval",
            "0.05",
            "--log-to",
            "tensorboard",
            "--log-dir",
            str(tmp_path / "tb"),
            "--",
            sys.executable,
            "-c",
            "import time; time.sleep(0.3)",
        ]
    )
    rec = json.loads(capsys.readouterr().out)
    assert code == 0
    got = _scalars(tmp_path / "tb")
    assert got["flopcast/energy_kwh"][-1][1] == pytest.approx(rec["energy_kwh"], rel=1e-6)


def test_trackers_are_not_imported_by_flopcast_or_a_plain_run():
    code = (
        "import sys, flopcast\n"
        "with flopcast.track(ledger=False, interval=0.05) as run: run.step()\n"
        "print(sorted(m for m in ('tensorboard', 'mlflow', 'torch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "FLOPCAST_LEDGER": os.devnull},
    )
    assert out.stdout.strip() == "[]"
