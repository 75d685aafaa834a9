"""`flopcast report` of runs recorded on this machine, a synthetic two-node job and a project with a failed run:
every figure the report prints is the figure the ledger holds."""

from __future__ import annotations

import json
import re

import pytest

from flopcast.measure import Ledger, aggregate_job
from flopcast.report.document_render import show

from .helpers import XSS, Recorded, cli


def report_json(recorded: Recorded, *args: str) -> dict:
    code, out, err = cli(["report", *args, "--ledger", str(recorded.ledger), "--format", "json"])
    assert code == 0, err
    return json.loads(out)


def figures(doc: dict) -> dict:
    return {f["key"]: f for f in doc["figures"]}


def runs_show(recorded: Recorded, run_id: str) -> dict:
    code, out, err = cli(["runs", "show", run_id, "--ledger", str(recorded.ledger), "--json"])
    assert code == 0, err
    return json.loads(out)


def test_run_report_figures_are_the_ledgers(recorded: Recorded) -> None:
    rec = recorded.records["sweep-1"]
    others = [r["run_id"] for r in recorded.records.values() if r["run_id"] != rec["run_id"]]
    n = next(n for n in range(8, len(rec["run_id"])) if not any(o.startswith(rec["run_id"][:n]) for o in others))
    doc = report_json(recorded, rec["run_id"][:n])  # the shortest unique prefix (two runs may share a second)
    assert doc["schema"] == "flopcast.report/2" and doc["kind"] == "run" and doc["subject"] == rec["run_id"]
    held = runs_show(recorded, rec["run_id"])["record"]
    f = figures(doc)
    for key in (
        "wall_seconds",
        "chip_hours",
        "it_energy_kwh",
        "energy_kwh",
        "pue",
        "g_co2e_per_kwh",
        "co2e_kg",
        "cost_usd",
        "flop_per_step",
        "achieved_flop_per_s",
        "mfu",
    ):
        assert f[key]["value"] == held[key], key
    assert f["status"]["value"] == "completed" and f["status"]["source"] == "exit code 0"
    assert f["hardware"]["value"] == "1 × H100 SXM5 80GB"
    # energy by component with its basis: no NVML here, so the GPU is the TDP assumption, the CPU an estimate
    assert f["gpu_energy_kwh"]["basis"] == held["energy_source"]["gpu"] == "assumed"
    assert f["gpu_energy_kwh"]["value"] == pytest.approx(held["components"]["gpu"]["energy_joules"] / 3.6e6)
    assert f["cpu_energy_kwh"]["basis"] == held["energy_source"]["cpu"]
    ram = held["components"]["ram"]  # the tracked tree's RSS x W per GB (measure/ram_power)
    assert f["ram_energy_kwh"]["basis"] == held["energy_source"]["ram"]
    assert f["ram_energy_kwh"]["value"] == pytest.approx(ram["energy_joules"] / 3.6e6)
    # hand derivations from the record's own inputs
    assert f["chip_hours"]["value"] == pytest.approx(held["wall_seconds"] / 3600)
    assert f["energy_kwh"]["value"] == pytest.approx(held["it_energy_kwh"] * held["pue"])
    assert f["co2e_kg"]["value"] == pytest.approx(held["energy_kwh"] * held["g_co2e_per_kwh"] / 1000)
    assert f["achieved_flop_per_s"]["value"] == pytest.approx(4 * 1e9 / held["active_seconds"])
    assert doc["records"] == [held]
    names = {a["name"] for a in doc["assumptions"]}
    assert {"pue", "grid_intensity", "peak_flop_per_s_per_chip", "price"} <= names
    assert all(a["source"] for a in doc["assumptions"])
    assert doc["co2_eq_emissions"]["emissions_g"] == pytest.approx(held["co2e_kg"] * 1000)
    assert len(doc["samples"]) >= 2


def test_markdown_tables_then_assumptions_with_sources(recorded: Recorded) -> None:
    rec = recorded.records["sweep-1"]
    code, md, err = cli(["report", rec["run_id"], "--ledger", str(recorded.ledger)])
    assert code == 0, err
    assert f"| CO2e | {show(rec['co2e_kg'], 'kg')} | estimated |" in md
    assert f"| energy (facility, IT × PUE) | {show(rec['energy_kwh'], 'kWh')} | estimated |" in md
    assert f"| MFU | {100 * rec['mfu']:.3g}% | estimated |" in md
    assert md.index("## Figures") < md.index("## Assumptions and sources")
    for a in rec["assumptions"]:
        assert f"- {a['name']} = " in md
    table = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert all(ln.count(" | ") == table[0].count(" | ") for ln in table[:3])


def test_failed_run_report_says_status_and_exit(recorded: Recorded) -> None:
    rec = recorded.records["sweep-2"]
    f = figures(report_json(recorded, rec["run_id"]))
    assert f["status"]["value"] == "failed" and f["status"]["source"] == "exit code 3"


def test_project_totals_include_failed_interrupted_and_lost_runs_and_the_final_share(recorded: Recorded) -> None:
    doc = report_json(recorded, "sweep-*")
    sweep = [recorded.records[f"sweep-{i}"] for i in (1, 2, 3, 4, 5)]
    assert doc["kind"] == "project" and [r["run_id"] for r in doc["runs"]] == [r["run_id"] for r in sweep]
    assert [r["status"] for r in doc["runs"]] == ["completed", "failed", "completed", "interrupted", "lost"]
    f = figures(doc)
    total = sum(r["energy_kwh"] for r in sweep)
    assert f["total_energy_kwh"]["value"] == pytest.approx(total)
    assert f["total_co2e_kg"]["value"] == pytest.approx(sum(r["co2e_kg"] for r in sweep))
    assert f["total_cost_usd"]["value"] == pytest.approx(sum(r["cost_usd"] for r in sweep))
    assert f["total_wall_seconds"]["value"] == pytest.approx(sum(r["wall_seconds"] for r in sweep))
    # the final run is the last *completed* one, though an interrupted and a lost run started after it
    assert doc["final_run_id"] == sweep[2]["run_id"]
    assert doc["final_share"]["energy_kwh"] == pytest.approx(sweep[2]["energy_kwh"] / total)
    assert 0 < doc["final_share"]["energy_kwh"] < 0.5  # five runs, three of them alike: the final is under half
    assert f["runs"]["source"] == "2 completed, 1 failed, 1 interrupted, 1 lost"
    _, md, _ = cli(["report", "sweep-*", "--ledger", str(recorded.ledger)])
    assert f"| {sweep[2]['run_id']} (final) | sweep-3 | completed |" in md and "| sweep-run-5 | sweep-5 | lost |" in md


def test_lost_run_report_says_it_covers_up_to_its_last_sample(recorded: Recorded) -> None:
    doc = report_json(recorded, "sweep-run-5")
    assert figures(doc)["status"]["value"] == "lost"
    assert any("up to its last sample" in n for n in doc["notes"])


def test_two_node_job_sums_resources_and_maxes_time(recorded: Recorded) -> None:
    doc = report_json(recorded, recorded.job_id)
    assert doc["kind"] == "job"
    f = figures(doc)
    assert f["nodes"]["value"] == 2
    assert f["energy_kwh"]["value"] == pytest.approx(0.75)  # 0.5 + 0.25 kWh
    assert f["co2e_kg"]["value"] == pytest.approx(0.3)  # 0.75 kWh × 0.4 kg/kWh
    assert f["cost_usd"]["value"] == pytest.approx(21.0)  # 10 + 11 USD
    assert f["chip_hours"]["value"] == pytest.approx(4.0)
    assert f["wall_seconds"]["value"] == 104.0  # the longest node, not the sum
    assert f["achieved_flop_per_s"]["value"] == pytest.approx(1000 * 4e12 / 103.0)
    assert f["mfu"]["value"] == pytest.approx(1000 * 4e12 / 103.0 / (4 * 1e14))
    assert f["hardware"]["value"] == "4 × H100 SXM5 80GB"
    assert doc["records"][0] == aggregate_job(recorded.job_records)
    assert [r["run_id"] for r in doc["runs"]] == ["job-node-0", "job-node-1"]


def test_html_escapes_user_strings_and_draws_the_plot(recorded: Recorded) -> None:
    rec = recorded.records[XSS]
    code, page, err = cli(["report", rec["run_id"], "--ledger", str(recorded.ledger), "--format", "html"])
    assert code == 0, err
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower() and "alert(1)</script>" not in page
    assert re.search(r"<svg[^>]*>", page) and "<path" in page
    # self-contained: no URL is fetched (no src/href to the network, no @import), and a CSP forbids any
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "default-src 'none'" in page
    assert "@media print" in page


def test_html_parses_with_balanced_tags(recorded: Recorded) -> None:
    from html.parser import HTMLParser

    code, page, _ = cli(["report", "sweep-*", "--ledger", str(recorded.ledger), "--format", "html"])
    assert code == 0
    void = {"meta", "br", "img", "hr", "link", "input"}
    stack: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in void:
                stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            pass

        def handle_endtag(self, tag):
            assert stack and stack[-1] == tag, (tag, stack[-3:])
            stack.pop()

    Checker().feed(page)
    assert stack == []


def test_markdown_escapes_user_strings(recorded: Recorded) -> None:
    code, md, _ = cli(["report", recorded.records[XSS]["run_id"], "--ledger", str(recorded.ledger)])
    assert code == 0
    assert "<script>" not in md and r"\<script\>alert(1)\</script\>" in md


def test_report_to_a_file(recorded: Recorded, tmp_path) -> None:
    out = tmp_path / "r.html"
    code, msg, err = cli(["report", "sweep-*", "--ledger", str(recorded.ledger), "--format", "html", "-o", str(out)])
    assert code == 0, err
    assert msg.startswith(f"wrote {out}") and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_unknown_run_suggests_the_nearest_ids(recorded: Recorded) -> None:
    real = recorded.records["sweep-3"]["run_id"]
    typo = real[:-1] + ("0" if real[-1] != "0" else "1")
    code, out, err = cli(["report", typo, "--ledger", str(recorded.ledger)])
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flopcast: error: unknown run") and real in lines[0]


def test_unwritable_output_is_refused_before_any_work(recorded: Recorded, tmp_path) -> None:
    for bad in ("/proc/flopcast/r.md", str(tmp_path / "nodir" / "r.md"), str(tmp_path)):
        # the target does not exist either: the -o check comes first, so the error is about -o
        code, out, err = cli(["report", "no-such-run", "--ledger", str(recorded.ledger), "-o", bad])
        assert code == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and "output file" in err and "-o" in err, err


def test_project_with_a_job_counts_its_wall_time_once(recorded: Recorded) -> None:
    f = figures(report_json(recorded, "job"))
    assert f["total_wall_seconds"]["value"] == 104.0 and f["total_energy_kwh"]["value"] == pytest.approx(0.75)


def test_ledger_rows_are_not_modified(recorded: Recorded) -> None:
    with Ledger(recorded.ledger, readonly=True) as led:
        before = led.runs()
    report_json(recorded, "sweep-*")
    with Ledger(recorded.ledger, readonly=True) as led:
        assert led.runs() == before
