"""`flopcast report --project PATTERN --estimate est.json`: an `estimate --project --json` plan's lines set against
what the ledger measured for the real runs `flopcast track` recorded (sweep-1..3) and the interrupted and lost
rows after them; the figures are recomputed here by hand from the records `runs show --json` holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopcast.measure.record import RunRecord
from flopcast.measure.runs import LedgerRun
from flopcast.report.document_project import LOST_STATUSES, measure_project

from .helpers import XSS, Recorded, cli


@pytest.fixture(scope="module")
def project_plan(recorded: Recorded) -> tuple[Path, dict]:
    """The project plan sweep-3 could have been priced with: its wall time on the hardware it ran on."""
    rec = recorded.records["sweep-3"]
    path = recorded.dir / "project-est.json"
    code, out, err = cli(
        [
            "estimate",
            "--hardware",
            "h100",
            "--chips",
            "1",
            "--hours",
            str(rec["wall_seconds"] / 3600),
            "--region",
            "FRA",
            "--project",
            "--json",
        ]
    )
    assert code == 0, err
    path.write_text(out)
    return path, json.loads(out)


def project_doc(recorded: Recorded, plan: Path, *extra: str) -> dict:
    code, out, err = cli(
        [
            "report",
            "--project",
            "sweep-*",
            "--estimate",
            str(plan),
            "--ledger",
            str(recorded.ledger),
            "--format",
            "json",
            *extra,
        ]
    )
    assert code == 0, err
    return json.loads(out)


def held(recorded: Recorded, name: str) -> dict:
    code, out, err = cli(["runs", "show", recorded.records[name]["run_id"], "--ledger", str(recorded.ledger), "--json"])
    assert code == 0, err
    return json.loads(out)["record"]


def test_lines_are_the_ledgers_decomposition(recorded: Recorded, project_plan: tuple[Path, dict]) -> None:
    path, est = project_plan
    doc = project_doc(recorded, path)
    assert doc["kind"] == "project" and doc["project"]["pattern"] == "sweep-*"
    rows = {r["name"]: r for r in doc["project"]["rows"]}
    assert list(rows) == ["final run", *(ln["name"] for ln in est["project"]["lines"]), "project total"]
    r1, r2, r3, r4, r5 = (held(recorded, f"sweep-{i}") for i in range(1, 6))
    # the final run is sweep-3 (the last completed), over its steps time: record x active / wall
    f = r3["active_seconds"] / r3["wall_seconds"]
    assert 0 < f <= 1
    useful = r3["chip_hours"] * f
    assert rows["final run"]["measured"]["chip_hours"] == pytest.approx(useful)
    assert rows["final run"]["measured"]["kwh"] == pytest.approx(r3["energy_kwh"] * f)
    # goodput: lost = sweep-3's time outside its steps + the failed (2), interrupted (4) and lost (5) runs
    lost = r3["chip_hours"] * (1 - f) + r2["chip_hours"] + r4["chip_hours"] + r5["chip_hours"]
    g = rows["goodput"]
    assert g["measured"]["chip_hours"] == pytest.approx(lost)
    assert g["measured"]["kwh"] == pytest.approx(r3["energy_kwh"] * (1 - f) + r2["energy_kwh"] + 0.002 + 0.003)
    assert g["measured_factor"] == pytest.approx(useful / (useful + lost))
    assert g["off"] == pytest.approx(abs((1 / g["planned_factor"] - 1) - lost / useful))
    # experimentation: the other completed run (sweep-1) as a multiple of the final run
    x = rows["experimentation"]
    assert x["measured"]["chip_hours"] == pytest.approx(r1["chip_hours"])
    assert x["measured_factor"] == pytest.approx(1 + r1["chip_hours"] / useful)
    assert x["off"] == pytest.approx(abs(x["planned_factor"] - x["measured_factor"]))
    # the decomposition adds up to the runs' sum; idle and embodied are the plan's factor on measured chip-hours
    every = (r1, r2, r3, r4, r5)
    total = rows["project total"]
    assert total["measured"]["chip_hours"] == pytest.approx(sum(r["chip_hours"] for r in every))
    assert useful + lost + r1["chip_hours"] == pytest.approx(sum(r["chip_hours"] for r in every))
    planned_compute = sum(ln["chip_hours"] for ln in est["project"]["lines"]) + est["project"]["final"]["chip_hours"]
    scale = sum(r["chip_hours"] for r in every) / planned_compute
    idle = est["project"]["lines"][[ln["name"] for ln in est["project"]["lines"]].index("idle")]
    assert rows["idle"]["basis"] == "estimated"
    assert rows["idle"]["measured"]["kwh"] == pytest.approx(idle["kwh"] * scale)
    assert total["measured"]["kwh"] == pytest.approx(sum(r["energy_kwh"] for r in every) + idle["kwh"] * scale)
    assert rows["embodied"]["measured_factor"] is None and rows["embodied"]["off"] is None


def test_planned_figures_are_the_estimate_files(recorded: Recorded, project_plan: tuple[Path, dict]) -> None:
    path, est = project_plan
    rows = {r["name"]: r for r in project_doc(recorded, path)["project"]["rows"]}
    for ln in est["project"]["lines"]:
        row = rows[ln["name"]]
        assert (row["planned_factor"], row["planned_low"], row["planned_high"]) == (
            ln["value"],
            ln["value_low"],
            ln["value_high"],
        )
        assert row["planned"] == {k: ln[k] for k in ("chip_hours", "kwh", "kg_co2e", "usd")}
    assert rows["final run"]["planned"]["chip_hours"] == est["project"]["final"]["chip_hours"]
    assert rows["project total"]["planned"]["kwh"] == est["project"]["total"]["kwh"]
    # the assumed defaults: goodput 0.9 (Llama 3), experimentation 1.5 (OLMo)
    assert rows["goodput"]["planned_factor"] == 0.9 and rows["experimentation"]["planned_factor"] == 1.5


def test_furthest_off_is_the_largest_measured_error(recorded: Recorded, project_plan: tuple[Path, dict]) -> None:
    path, _ = project_plan
    doc = project_doc(recorded, path)
    rows = [r for r in doc["project"]["rows"] if r["off"] is not None]
    assert {r["name"] for r in rows} == {"goodput", "experimentation"}
    worst = max(rows, key=lambda r: r["off"])
    assert doc["project"]["furthest_off"] == worst["name"]
    # three lost runs against one extra completed run: goodput is further off than experimentation here
    assert worst["name"] == "goodput" and worst["direction"] == "more than planned"
    # the final run's own plan is compared as before (the estimate's top-level figures)
    assert doc["comparison"]["rows"][1]["key"] == "wall_seconds"
    code, md, err = cli(["report", "--project", "sweep-*", "--estimate", str(path), "--ledger", str(recorded.ledger)])
    assert code == 0, err
    assert "## Project plan against the ledger" in md and "Furthest off: goodput (planned 0.9 useful/elapsed" in md
    assert "| experimentation | 1.5 x final |" in md


def test_html_has_the_project_tables(recorded: Recorded, project_plan: tuple[Path, dict]) -> None:
    path, _ = project_plan
    code, page, err = cli(
        ["report", "--project", "*", "--estimate", str(path), "--ledger", str(recorded.ledger), "--format", "html"]
    )
    assert code == 0, err
    assert 'id="project-factors"' in page and 'id="project-figures"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and XSS not in page


def test_a_bare_project_estimate_is_accepted(recorded: Recorded, project_plan: tuple[Path, dict], tmp_path) -> None:
    _, est = project_plan
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(est["project"]))
    doc = project_doc(recorded, bare)
    assert doc["comparison"] is None and doc["project"]["furthest_off"] == "goodput"


@pytest.mark.parametrize(
    "case", ["no-project-lines", "other-version", "bad-number", "unknown-pattern", "no-estimate", "with-target"]
)
def test_bad_input_is_one_line(recorded: Recorded, project_plan: tuple[Path, dict], tmp_path, case: str) -> None:
    _, est = project_plan
    bad = tmp_path / "bad.json"
    plain = {k: v for k, v in est.items() if k != "project"}
    data = {
        "no-project-lines": plain,
        "other-version": {**est, "project": {**est["project"], "schema": "flopcast.project_estimate/9"}},
        "bad-number": {**est, "project": {**est["project"], "lines": [{**est["project"]["lines"][0], "value": -1}]}},
    }.get(case, est)
    bad.write_text(json.dumps(data))
    args = {
        "unknown-pattern": ["--project", "swep-1", "--estimate", str(bad)],
        "no-estimate": ["--project", "sweep-*"],
        "with-target": ["sweep-1", "--project", "sweep-*", "--estimate", str(bad)],
    }.get(case, ["--project", "sweep-*", "--estimate", str(bad)])
    code, out, err = cli(["report", *args, "--ledger", str(recorded.ledger)])
    assert code == 2 and out == "", err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flopcast: error: ")
    expect = {
        "no-project-lines": "without project lines",
        "other-version": "flopcast.project_estimate/9",
        "bad-number": "value is -1",
        "unknown-pattern": "nearest: sweep-1",
        "no-estimate": "--project needs",
        "with-target": "without a TARGET",
    }[case]
    assert expect in lines[0]


# -- properties of the decomposition, on runs built from a real record ---------------------------------------

RUN = st.tuples(
    st.sampled_from(("completed", *LOST_STATUSES, "running")),
    st.floats(1e-3, 1e3),
    st.floats(1e-6, 1e2),
    st.floats(0.0, 1.0, allow_subnormal=False),
    st.integers(0, 5),
)
# (subnormal active fractions such as 5e-324 underflow useful time to 0 while the run still counts as final)


def ledger_runs(template: dict, specs: list[tuple]) -> list[LedgerRun]:
    out = []
    for i, (status, chip_hours, kwh, active, steps) in enumerate(specs):
        rec = RunRecord.from_dict(
            {
                **template,
                "run_id": f"r{i}",
                "status": status,
                "chip_hours": chip_hours,
                "energy_kwh": kwh,
                "co2e_kg": kwh * 0.05,
                "cost_usd": chip_hours * 4.0,
                "wall_seconds": 10.0,
                "active_seconds": 10.0 * active,
                "steps": steps,
            }
        )
        out.append(
            LedgerRun(
                f"r{i}", status, None, None, "h", 1, f"sweep-{i}", None, None, None, None, 10.0, steps, kwh, 1, rec
            )
        )
    return out


def test_decomposition_adds_up_and_factors_are_in_range(recorded: Recorded) -> None:
    """useful final + lost + other completed + running = every run's sum; goodput in (0, 1]; X >= 1."""
    template = recorded.records["sweep-1"]

    @settings(max_examples=60, deadline=None, database=None)
    @given(specs=st.lists(RUN, min_size=1, max_size=6), pick=st.integers(0, 5))
    def check(specs: list[tuple], pick: int) -> None:
        f = pick % len(specs)
        specs[f] = ("completed", *specs[f][1:])
        runs = ledger_runs(template, specs)
        m = measure_project(runs, runs[f].run_id)
        for key, i in (("chip_hours", 1), ("kwh", 2)):
            running = sum(s[i] for j, s in enumerate(specs) if s[0] == "running" and j != f)
            assert m.final[key] + m.lost[key] + m.experiments[key] + running == pytest.approx(m.total[key])
            assert m.total[key] == pytest.approx(sum(s[i] for s in specs))
            assert min(m.final[key], m.lost[key], m.experiments[key]) >= 0
        if m.final["chip_hours"] > 0:
            g = m.final["chip_hours"] / (m.final["chip_hours"] + m.lost["chip_hours"])
            assert 0 < g <= 1 and 1 + m.experiments["chip_hours"] / m.final["chip_hours"] >= 1
        assert (m.useful_fraction is None) == (specs[f][4] == 0 or specs[f][3] == 0)

    check()
