"""A run's and a job's training compute two ways (operation counting, the hardware-burden upper bound) and the
utilization their ratio implies, checked against hand-computed numbers from synthetic ledger rows; an unknown
input makes the figure unavailable, never a guess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flopcast.report.document_render import show

from .helpers import Recorded, add_row, cli

# One synthetic run: 2 chips for an hour (2 chip-hours), 100 steps of 1e15 FLOP, a 1e15 FLOP/s peak per chip.
# operation counting = 100 × 1e15 = 1e17 FLOP; hardware burden = 2 h × 3600 s/h × 1e15 FLOP/s = 7.2e18 FLOP;
# implied utilization = 1e17 / 7.2e18 = 1/72.
SYNTHETIC = {
    "chips": 2,
    "wall_seconds": 3600.0,
    "active_seconds": 3600.0,
    "chip_hours": 2.0,
    "steps": 100,
    "flop_per_step": 1e15,
    "peak_flop_per_s_per_chip": 1e15,
    "precision": "bf16",
}


def compute_of(ledger: Path, target: str, fmt: str = "json") -> tuple[dict[str, dict], str]:
    code, out, err = cli(["report", target, "--ledger", str(ledger), "--format", fmt])
    assert code == 0, err
    if fmt != "json":
        return {}, out
    return {f["key"]: f for f in json.loads(out)["compute"]}, out


@pytest.fixture(scope="module")
def synthetic(recorded: Recorded, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ledger = tmp_path_factory.mktemp("compute") / "runs.sqlite"
    template = recorded.records["sweep-1"]
    rows = {
        "compute-full": {},
        "compute-no-fps": {"flop_per_step": None},
        "compute-no-steps": {"steps": 0},
        "compute-cpu": {"hardware": None, "chips": None, "chip_hours": None, "peak_flop_per_s_per_chip": None},
        "compute-no-peak": {"peak_flop_per_s_per_chip": None},
    }
    for n, (run_id, changes) in enumerate(rows.items()):
        add_row(
            ledger, template, run_id, run_id, "completed", f"2099-01-01T00:00:0{n}+00:00", **{**SYNTHETIC, **changes}
        )
    return ledger


def test_run_compute_is_the_hand_computed_figures(synthetic: Path) -> None:
    c, _ = compute_of(synthetic, "compute-full")
    assert list(c) == ["training_flop_counting", "training_flop_burden", "implied_utilization"]
    assert c["training_flop_counting"]["value"] == pytest.approx(1e17)
    assert c["training_flop_burden"]["value"] == pytest.approx(7.2e18)
    assert c["implied_utilization"]["value"] == pytest.approx(1 / 72)
    assert {f["basis"] for f in c.values()} == {"estimated"}
    assert "100 steps (measured) × 1e+15 FLOP per step" in c["training_flop_counting"]["source"]
    assert "bf16 peak 1e+15 FLOP/s per chip" in c["training_flop_burden"]["source"]
    assert "utilization 1 assumed" in c["training_flop_burden"]["source"]


@pytest.mark.parametrize("fmt", ["md", "html", "model-card"])
def test_run_compute_in_every_text_format(synthetic: Path, fmt: str) -> None:
    _, text = compute_of(synthetic, "compute-full", fmt)
    assert "Training compute" in text
    for value, unit in ((1e17, "FLOP"), (7.2e18, "FLOP"), (1 / 72, "fraction of peak")):
        assert show(value, unit) in text, (value, text[:400])
    if fmt == "html":
        assert '<table id="compute">' in text and '<span class="basis basis-estimated">estimated</span>' in text
    else:
        assert f"| training compute (operation counting) | {show(1e17, 'FLOP')} | estimated |" in text


@pytest.mark.parametrize(
    "run_id, unavailable, why",
    [
        ("compute-no-fps", {"training_flop_counting", "implied_utilization"}, "needs the FLOP per step"),
        ("compute-no-steps", {"training_flop_counting", "implied_utilization"}, "no steps reported"),
        ("compute-cpu", {"training_flop_burden", "implied_utilization"}, "no accelerator given"),
        ("compute-no-peak", {"training_flop_burden", "implied_utilization"}, "no catalogue peak for H100"),
    ],
)
def test_an_unknown_input_makes_the_figure_unavailable(
    synthetic: Path, run_id: str, unavailable: set[str], why: str
) -> None:
    c, _ = compute_of(synthetic, run_id)
    assert {k for k, f in c.items() if f["value"] is None} == unavailable
    assert all(c[k]["basis"] == "unavailable" for k in unavailable)
    assert any(why in c[k]["source"] for k in unavailable), [c[k]["source"] for k in unavailable]
    known = set(c) - unavailable
    assert known and all(c[k]["basis"] == "estimated" for k in known)
    _, md = compute_of(synthetic, run_id, "md")
    assert md.count("| n/a | unavailable |") >= len(unavailable)


def test_job_compute_sums_chip_hours_over_nodes(recorded: Recorded) -> None:
    # helpers.add_job: two nodes of 2 chip-hours each, 1000 global steps of 4e12 FLOP, peak 1e14 FLOP/s per chip.
    # counting = 1000 × 4e12 = 4e15; burden = (2 + 2) h × 3600 × 1e14 = 1.44e18; implied = 4e15 / 1.44e18 = 1/360.
    c, _ = compute_of(recorded.ledger, recorded.job_id)
    assert c["training_flop_counting"]["value"] == pytest.approx(4e15)
    assert c["training_flop_burden"]["value"] == pytest.approx(1.44e18)
    assert c["implied_utilization"]["value"] == pytest.approx(1 / 360)
    assert "summed over nodes" in c["training_flop_burden"]["source"]


def test_a_tracked_run_implies_its_mfu_over_wall_rather_than_active_time(recorded: Recorded) -> None:
    rec = recorded.records["sweep-1"]  # the child ran 4 steps, tracked with --flop-per-step 1e9 on 1 × H100
    c, _ = compute_of(recorded.ledger, rec["run_id"])
    assert c["training_flop_counting"]["value"] == pytest.approx(4 * 1e9)
    burden = rec["chip_hours"] * 3600 * rec["peak_flop_per_s_per_chip"]
    assert c["training_flop_burden"]["value"] == pytest.approx(burden)
    # MFU = steps × FLOP per step / (active × chips × peak); implied = the same over wall: MFU × active / wall
    implied = rec["mfu"] * rec["active_seconds"] / rec["wall_seconds"]
    assert c["implied_utilization"]["value"] == pytest.approx(implied)
    assert c["implied_utilization"]["value"] <= rec["mfu"]


def test_a_project_has_no_compute_block(recorded: Recorded) -> None:
    code, out, err = cli(["report", "sweep-*", "--ledger", str(recorded.ledger), "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["compute"] == []
    code, md, _ = cli(["report", "sweep-*", "--ledger", str(recorded.ledger)])
    assert "Training compute" not in md


@pytest.mark.parametrize(
    "source, basis, says",
    [
        ("state.total_flos", "estimated", "state.total_flos"),
        ("reported", "given", "reported by the tracked program"),
        ("given", "given", "given (--flop-per-step)"),
    ],
)
def test_flop_per_step_says_where_it_came_from(
    recorded: Recorded, tmp_path: Path, source: str, basis: str, says: str
) -> None:
    # a run whose FLOP per step came from the HF Trainer's total_flos (or run.observe()) was labelled "given
    # (--flop-per-step)": the report read only an assumption such runs do not have
    ledger = tmp_path / "runs.sqlite"
    template = {**recorded.records["sweep-1"], "flop_per_step_source": source}
    template["assumptions"] = [a for a in template["assumptions"] if a["name"] != "flop_per_step"]
    add_row(ledger, template, "fps-run", "fps-run", "completed", "2099-01-01T00:00:00+00:00", **SYNTHETIC)
    code, out, err = cli(["report", "fps-run", "--ledger", str(ledger), "--format", "json"])
    assert code == 0, err
    doc = json.loads(out)
    fps = next(f for f in doc["figures"] if f["key"] == "flop_per_step")
    assert fps["basis"] == basis and says in fps["source"], fps
    counting = next(f for f in doc["compute"] if f["key"] == "training_flop_counting")
    assert says in counting["source"] and counting["value"] == pytest.approx(1e17)


def test_a_job_missing_a_nodes_chip_hours_has_no_burden_and_says_which(recorded: Recorded) -> None:
    from flopcast.measure.record import RunRecord
    from flopcast.report.document_job import job_compute

    first = RunRecord.from_dict(recorded.job_records[0])
    job = {"steps": 1000, "flop_per_step": 4e12, "chip_hours": None, "missing": {"chip_hours": [1]}}
    counting, burden, implied = job_compute(job, first)
    assert counting.value == pytest.approx(4e15) and burden.value is None and implied.value is None
    assert burden.basis == "unavailable" and "nodes [1] lack it" in burden.source
