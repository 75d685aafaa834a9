"""Issue 14: a run report holds what codecarbon's ``emissions.csv`` and Epoch AI's model record hold, labelled:
parameters, epochs, dataset size, mean power draw (IT energy / wall time, with the energy's basis), emissions rate
(CO2e / wall time), and the machine (CPU model, RAM total, OS, Python); a record from before these fields renders
them unavailable (``n/a``), never 0. Each expected value is derived here from the record itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flopcast.report.document_render import show

from .helpers import add_row, cli, track

SIZED_CHILD = """
import sys, time, flopcast
with flopcast.track(model_params=124_000_000, dataset_examples=80) as run:
    for i in range(4):
        time.sleep(0.06)
        run.step(epoch=(i + 1) / 8)
sys.exit(int(sys.argv[1]))
"""
NEW_KEYS = ("model_params", "epochs", "dataset_examples", "cpu_model", "ram_total_bytes", "os", "python_version")
DERIVED = ("mean_power_watts", "emissions_rate_kg_per_s")


@pytest.fixture(scope="module")
def sized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    ledger = tmp_path_factory.mktemp("sized") / "runs.sqlite"
    flags = ("--hardware", "h100", "--chips", "1", "--region", "FRA")
    return ledger, track(ledger, "sized", 0, *flags, child=SIZED_CHILD)


def report(ledger: Path, run_id: str, fmt: str = "json") -> str:
    code, out, err = cli(["report", run_id, "--ledger", str(ledger), "--format", fmt])
    assert code == 0, err
    return out


def figures(ledger: Path, run_id: str) -> dict[str, dict]:
    return {f["key"]: f for f in json.loads(report(ledger, run_id))["figures"]}


def test_a_run_report_shows_size_epochs_power_rate_and_the_machine(sized) -> None:
    ledger, rec = sized
    f = figures(ledger, rec["run_id"])
    assert f["model_params"]["value"] == 124_000_000 and f["model_params"]["basis"] == "measured"
    assert f["epochs"]["value"] == 0.5 and f["dataset_examples"]["value"] == 80  # 4 steps of 1/8 epoch; given
    for key in ("cpu_model", "ram_total_bytes", "os", "python_version"):
        assert rec[key] is not None and f[key]["value"] == rec[key], key
        assert f[key]["basis"] == "measured" and f[key]["source"], key
    # mean power = IT energy (the components' joules) / wall time, labelled with the energy's basis
    joules = sum(
        rec["components"][c]["energy_joules"]
        for c, basis in rec["energy_source"].items()
        if basis != "unavailable" and rec["components"][c]["energy_joules"] is not None
    )
    assert f["mean_power_watts"]["value"] == pytest.approx(joules / rec["wall_seconds"])
    assert f["mean_power_watts"]["value"] == pytest.approx(rec["it_energy_kwh"] * 3.6e6 / rec["wall_seconds"])
    assert f["mean_power_watts"]["value"] > 700  # no NVML here: the GPU is 1 x 700 W H100 TDP, plus CPU and RAM
    assert f["mean_power_watts"]["basis"] == "assumed" and "gpu assumed" in f["mean_power_watts"]["source"]
    assert f["emissions_rate_kg_per_s"]["value"] == pytest.approx(rec["co2e_kg"] / rec["wall_seconds"])
    assert f["emissions_rate_kg_per_s"]["basis"] == "estimated"
    md = report(ledger, rec["run_id"], "md")
    assert f"| parameters | {show(124_000_000)} | measured |" in md and "| epochs | 0.5 epochs | measured |" in md
    assert f"| RAM (machine total) | {rec['ram_total_bytes'] / 2**30:.4g} GiB | measured |" in md
    assert f"| mean power draw (IT, before PUE) | {show(f['mean_power_watts']['value'], 'W')} | assumed |" in md
    assert f"| emissions rate | {show(f['emissions_rate_kg_per_s']['value'], 'kg CO2e/s')} | estimated |" in md
    html = report(ledger, rec["run_id"], "html")
    assert "mean power draw (IT, before PUE)" in html and "emissions rate" in html and "CPU model" in html


def test_a_cpu_only_run_power_is_its_estimated_cpu_and_ram(tmp_path) -> None:
    ledger = tmp_path / "cpu.sqlite"
    rec = track(ledger, "cpu-only", 0)
    f = figures(ledger, rec["run_id"])
    assert f["mean_power_watts"]["value"] == pytest.approx(rec["it_energy_kwh"] * 3.6e6 / rec["wall_seconds"])
    bases = {b for b in rec["energy_source"].values() if b != "unavailable"}
    assert f["mean_power_watts"]["basis"] == (bases.pop() if len(bases) == 1 else "estimated")
    assert f["model_params"]["value"] is None and f["model_params"]["basis"] == "unavailable"


def test_an_old_record_without_the_fields_renders_them_unavailable(sized, tmp_path) -> None:
    _, rec = sized
    old = {k: v for k, v in rec.items() if k not in NEW_KEYS}  # a ledger record written before issue 14
    ledger = tmp_path / "old.sqlite"
    add_row(ledger, old, "old-run-1", "old", "completed", "2026-01-01T00:00:00+00:00", exit_code=0)
    f = figures(ledger, "old-run-1")
    for key in NEW_KEYS:
        assert f[key]["value"] is None and f[key]["basis"] == "unavailable" and f[key]["source"], key
    # the derived figures still come from the fields an old record has
    assert f["mean_power_watts"]["value"] == pytest.approx(rec["it_energy_kwh"] * 3.6e6 / rec["wall_seconds"])
    assert f["emissions_rate_kg_per_s"]["value"] == pytest.approx(rec["co2e_kg"] / rec["wall_seconds"])
    md = report(ledger, "old-run-1", "md")
    for label in ("parameters", "epochs", "training dataset size", "CPU model", "RAM (machine total)", "OS", "Python"):
        assert f"| {label} | n/a | unavailable |" in md, label
    assert "<html" in report(ledger, "old-run-1", "html")


def test_a_record_without_energy_or_wall_time_has_no_power_or_rate(sized, tmp_path) -> None:
    _, rec = sized
    ledger = tmp_path / "none.sqlite"
    changes = {"it_energy_kwh": None, "energy_kwh": None, "co2e_kg": None}
    add_row(ledger, rec, "none-run-1", "none", "completed", "2026-01-01T00:00:00+00:00", **changes)
    f = figures(ledger, "none-run-1")
    for key in DERIVED:
        assert f[key]["value"] is None and f[key]["basis"] == "unavailable", key


def test_a_run_report_states_its_cost_in_2023_dollars_from_the_quotes_date(sized) -> None:
    from flopcast.hardware import get_price, to_constant_usd

    ledger, rec = sized
    assert rec["price_as_of"] == get_price("h100").as_of  # the catalogue quote the tracked cost used
    f = figures(ledger, rec["run_id"])["cost_usd_2023"]
    assert f["value"] == pytest.approx(to_constant_usd(rec["cost_usd"], rec["price_as_of"]).usd, rel=1e-12)
    assert f["basis"] == "estimated" and "PCU518210518210" in f["source"]
