"""Project overheads (flopcast.estimate.project, `flopcast estimate --project`).

Published accounts are recomputed from their own inputs (BLOOM's dynamic, idle and embodied parts;
OPT-175B's and Llama 3's goodput; BigScience's experimentation share); the overhead arithmetic is
checked by properties (monotone in each factor, never below the final run, low <= central <= high).
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopcast.cli import main
from flopcast.errors import InputError
from flopcast.estimate import (
    ProjectEstimate,
    ProjectOverheads,
    default_overheads,
    estimate,
    estimate_project,
    project_estimate,
)
from flopcast.estimate.project import FIGURES, account, bloom_embodied_kg_per_chip_hour, published_accounts
from flopcast.report.jsonout import dumps

BLOOM = "bloom_2022"
HOURS_PER_YEAR = 365 * 24


def _bloom_final():
    """BLOOM's final run as flopcast sees it: 384 A100s for 1,082,990 GPU-hours at TDP, no PUE, 57 g/kWh."""
    return estimate(
        hardware="a100 80gb",
        chips=384,
        hours=account(BLOOM, "final_gpu_hours") / 384,
        power_fraction=1.0,
        pue=1.0,
        g_co2e_per_kwh=account(BLOOM, "grid_g_co2e_per_kwh"),
        language_model=True,
    )


@cache
def _final():
    return estimate(params=7e9, tokens=2e12, hardware="h100", chips=256)


# ---------------------------------------------------------------- published accounts, recomputed from their inputs


def test_bloom_dynamic_part_from_gpu_hours_tdp_and_grid():
    kwh = account(BLOOM, "final_gpu_hours") * account(BLOOM, "gpu_tdp_w") / 1000
    assert kwh == pytest.approx(account(BLOOM, "dynamic_kwh"), abs=0.5)  # 1,082,990 h x 0.4 kW = 433,196 kWh
    tonnes = kwh * account(BLOOM, "grid_g_co2e_per_kwh") / 1e6
    assert round(tonnes, 1) == account(BLOOM, "dynamic_t_co2e")  # 24.69 t -> 24.7 t


def test_bloom_idle_part_from_its_energy():
    tonnes = account(BLOOM, "idle_kwh") * account(BLOOM, "grid_g_co2e_per_kwh") / 1e6
    assert round(tonnes, 1) == account(BLOOM, "idle_t_co2e")  # 256,646 kWh x 57 g = 14.63 t


def test_bloom_embodied_part_from_lca_lifetime_and_usage():
    hours = account(BLOOM, "service_life_years") * HOURS_PER_YEAR * account(BLOOM, "average_usage")
    per_gpu_hour = account(BLOOM, "gpu_embodied_kg") / hours
    per_server_hour = account(BLOOM, "server_embodied_kg") / hours
    assert round(per_server_hour, 3) == 0.056 and round(per_gpu_hour, 3) == 0.003  # the paper's hourly rates
    gpu_h = account(BLOOM, "final_gpu_hours")
    gpus_t = per_gpu_hour * gpu_h / 1000
    servers_t = per_server_hour * gpu_h / account(BLOOM, "gpus_per_server") / 1000
    assert gpus_t == pytest.approx(account(BLOOM, "embodied_gpus_t_co2e"), rel=5e-3)  # 3.64 t
    assert servers_t == pytest.approx(account(BLOOM, "embodied_servers_t_co2e"), rel=5e-3)  # 7.57 t
    assert round(gpus_t + servers_t, 1) == account(BLOOM, "embodied_t_co2e")  # 11.2 t
    assert bloom_embodied_kg_per_chip_hour() * gpu_h / 1000 == pytest.approx(gpus_t + servers_t)


def test_bloom_three_parts_add_to_the_published_total():
    parts = sum(account(BLOOM, q) for q in ("dynamic_t_co2e", "idle_t_co2e", "embodied_t_co2e"))
    assert parts == pytest.approx(account(BLOOM, "total_t_co2e"))  # 24.7 + 14.6 + 11.2 = 50.5


def test_project_estimate_reproduces_bloom_end_to_end():
    final = _bloom_final()
    assert final.energy_kwh == pytest.approx(433_196) and final.co2e_kg / 1000 == pytest.approx(24.69, abs=0.01)
    p = project_estimate(final, ProjectOverheads(experiments=1, goodput=1))  # the paper counts the final run only
    assert p.line("idle").kwh == pytest.approx(account(BLOOM, "idle_kwh"))
    assert round(p.line("idle").kg_co2e / 1000, 1) == 14.6
    assert round(p.line("embodied").kg_co2e / 1000, 1) == 11.2
    assert p.total_kg_co2e / 1000 == pytest.approx(50.5, abs=0.15)


def test_goodput_recovers_opt175b_elapsed_chip_time():
    ideal, elapsed = account("opt175b_2021", "ideal_days"), account("opt175b_2021", "elapsed_days")
    assert default_overheads()["goodput"].low == pytest.approx(ideal / elapsed)  # 33 / 56 = 0.589
    final = estimate(hardware="a100 80gb", chips=1024, hours=ideal * 24, power_fraction=1.0, pue=1.0)
    p = project_estimate(
        final, ProjectOverheads(experiments=1, goodput=ideal / elapsed, idle_fraction=0, embodied_kg_per_chip_hour=0)
    )
    assert p.total_chip_hours == pytest.approx(1024 * elapsed * 24)


def test_goodput_at_llama3_effective_training_time():
    g = account("llama3_2024", "effective_training_time")
    assert default_overheads()["goodput"].central == g == 0.9
    p = project_estimate(_final(), ProjectOverheads(goodput=g))
    assert p.line("goodput").chip_hours == pytest.approx(_final().chip_hours / 9)  # elapsed = useful / 0.9


def test_experimentation_range_from_olmo_and_bigscience():
    r = default_overheads()["experiments"]
    assert r.central == 1 + account("olmo_2025", "development_fraction_of_training") == 1.5
    assert 1 / r.high == pytest.approx(0.3725, abs=1e-4)  # BLOOM's final run: 37% of BigScience's experiments
    assert r.low <= r.central <= r.high


def test_every_default_names_its_source_and_every_account_row_has_one():
    assert set(default_overheads()) == {"experiments", "goodput", "idle_fraction", "embodied_kg_per_chip_hour"}
    for name, r in default_overheads().items():
        assert r.low <= r.central <= r.high and r.source, name
    assert all(src for _, _, src in published_accounts().values())


# ---------------------------------------------------------------- lines, labels, schema


def test_defaults_are_assumed_given_values_are_given_and_missing_ones_omitted():
    p = project_estimate(_final(), ProjectOverheads(goodput=0.8))
    basis = {ln.name: ln.basis.value for ln in p.lines}
    assert basis == {"goodput": "given", "experimentation": "assumed", "idle": "assumed", "embodied": "assumed"}
    assert any(o.startswith("evaluation") for o in p.omitted) and any(o.startswith("serving") for o in p.omitted)
    with pytest.raises(KeyError):
        p.line("evaluation")


def test_evaluation_and_serving_lines():
    final = _final()
    grid = final.co2e_kg / final.energy_kwh
    p = project_estimate(
        final,
        ProjectOverheads(eval_fraction=0.1, serving_queries_per_day=1e6, serving_wh_per_query=3.0, serving_days=365),
    )
    assert p.line("evaluation").chip_hours == pytest.approx(0.1 * final.chip_hours)
    serving = p.line("serving")
    assert serving.kwh == pytest.approx(1e6 * 3.0 * 365 / 1000) and serving.kg_co2e == pytest.approx(serving.kwh * grid)
    assert serving.usd is None and not p.omitted  # cloud pricing: serving is not priced


def test_owned_hardware_prices_idle_energy_at_the_electricity_price():
    final = estimate(params=7e9, tokens=2e12, hardware="h100", chips=256, pricing="owned", electricity_usd_per_kwh=0.1)
    p = project_estimate(final, ProjectOverheads())
    assert p.line("idle").usd == pytest.approx(p.line("idle").kwh * 0.1)
    assert p.line("embodied").usd == 0.0


def test_to_dict_schema_and_frozen():
    p = project_estimate(_final(), ProjectOverheads(eval_fraction=0.05))
    d = json.loads(dumps(p))
    assert d["schema"] == "flopcast.project_estimate/1"
    assert [ln["name"] for ln in d["lines"]] == ["goodput", "experimentation", "evaluation", "idle", "embodied"]
    for ln in d["lines"]:
        assert {
            "name",
            "kind",
            "value",
            "value_low",
            "value_high",
            "chip_hours",
            "kwh",
            "kg_co2e",
            "usd",
            "source",
            "basis",
        } <= set(ln)
        assert ln["value_low"] <= ln["value"] <= ln["value_high"]
    assert d["total"]["kg_co2e"] == pytest.approx(p.total_kg_co2e)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.total_kwh = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"experiments": 0.99}, "must be >= 1"),
        ({"goodput": 0.0}, r"in \(0, 1\]"),
        ({"goodput": 1.01}, r"in \(0, 1\]"),
        ({"idle_fraction": -0.1}, ">= 0"),
        ({"goodput": float("nan")}, "finite"),
        ({"serving_days": 30.0}, "missing serving_queries_per_day"),
        ({"serving_queries_per_day": 1e6, "serving_wh_per_query": 3.0}, "missing serving_days"),
    ],
)
def test_bad_overheads_refused_at_construction(kwargs, match):
    with pytest.raises(InputError, match=match):
        ProjectOverheads(**kwargs)


def test_estimate_project_is_estimate_then_project_estimate():
    final, p = estimate_project(ProjectOverheads(goodput=0.95), params=7e9, tokens=2e12, hardware="h100", chips=256)
    assert final == _final()
    assert p == project_estimate(_final(), ProjectOverheads(goodput=0.95))


def test_a_final_run_without_energy_is_refused():
    with pytest.raises(InputError, match="needs the final run's chip-hours"):
        project_estimate(estimate(params=7e9, tokens=2e12), ProjectOverheads())


# ---------------------------------------------------------------- properties

FACTORS = {  # name -> (strategy, +1 if the project grows with it, -1 if it shrinks)
    "experiments": (st.floats(1.0, 20.0), 1),
    "goodput": (st.floats(0.05, 1.0), -1),
    "idle_fraction": (st.floats(0.0, 3.0), 1),
    "embodied_kg_per_chip_hour": (st.floats(0.0, 1.0), 1),
    "eval_fraction": (st.floats(0.0, 2.0), 1),
    "serving_days": (st.floats(0.0, 3650.0), 1),
}
SERVING = {"serving_queries_per_day": 1e5, "serving_wh_per_query": 2.0}


def _with(values: dict) -> ProjectEstimate:
    extra = SERVING if "serving_days" in values else {}
    return project_estimate(_final(), ProjectOverheads(**values, **extra))


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(FACTORS)), data=st.data())
def test_project_is_monotone_in_each_factor(name, data):
    strategy, sign = FACTORS[name]
    a, b = sorted([data.draw(strategy), data.draw(strategy)])
    pa, pb = _with({name: a}), _with({name: b})
    for key in FIGURES:
        lo, hi = getattr(pa, f"total_{key}"), getattr(pb, f"total_{key}")
        assert (hi - lo) * sign >= -1e-9 * max(abs(hi), 1.0), (name, key, a, b)


@settings(max_examples=40, deadline=None)
@given(
    exp=FACTORS["experiments"][0],
    g=FACTORS["goodput"][0],
    idle=FACTORS["idle_fraction"][0],
    emb=FACTORS["embodied_kg_per_chip_hour"][0],
    ev=FACTORS["eval_fraction"][0],
    days=FACTORS["serving_days"][0],
)
def test_total_never_below_the_final_run_and_ordered(exp, g, idle, emb, ev, days):
    p = _with(
        {
            "experiments": exp,
            "goodput": g,
            "idle_fraction": idle,
            "embodied_kg_per_chip_hour": emb,
            "eval_fraction": ev,
            "serving_days": days,
        }
    )
    final = {"chip_hours": p.final_chip_hours, "kwh": p.final_kwh, "kg_co2e": p.final_kg_co2e, "usd": p.final_usd}
    for key in FIGURES:
        total = getattr(p, f"total_{key}")
        assert total >= final[key] * (1 - 1e-12)
        assert p.low[key] <= total * (1 + 1e-12) and total <= p.high[key] * (1 + 1e-12)
        assert p.low[key] >= p.final_low[key] * (1 - 1e-12)


def test_default_ranges_widen_the_total_around_the_central():
    p = project_estimate(_final(), ProjectOverheads())
    assert p.low["kg_co2e"] < p.total_kg_co2e < p.high["kg_co2e"]
    assert p.total_kg_co2e > p.final_kg_co2e


# ---------------------------------------------------------------- CLI

ARGS = ["estimate", "--params", "7B", "--tokens", "2T", "--hardware", "h100", "--chips", "256"]


def test_cli_json_has_the_project_block_and_keeps_the_final_run(capsys):
    assert main([*ARGS, "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert "project" not in plain
    assert main([*ARGS, "--json", "--project", "--eval-fraction", "0.05"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in d.items() if k != "project"} == plain
    assert d["project"]["schema"] == "flopcast.project_estimate/1"
    assert d["project"]["final"]["kg_co2e"] == pytest.approx(plain["co2e_kg"])


def test_cli_table_shows_each_line_its_source_and_the_total(capsys):
    assert main([*ARGS, "--project", "--eval-fraction", "0.05"]) == 0
    out = capsys.readouterr().out
    for text in (
        "final run",
        "goodput",
        "experimentation",
        "idle",
        "embodied",
        "= total",
        "Luccioni et al. 2022",
        "Morrison et al. 2025",
        "Dubey et al. 2024",
        "metaseq",
        "given: evaluation",
        "omitted: serving",
    ):
        assert text in out, text


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--goodput", "0.9"], "--goodput is a project overhead; add --project"),
        (["--serving-days", "30"], "--serving-days is a project overhead; add --project"),
        (["--project", "--experiments", "0.5"], "experiments is a multiple of the final run and must be >= 1"),
        (["--project", "--goodput", "0"], "goodput is useful / elapsed training time and must be in (0, 1]"),
        (["--project", "--goodput", "1.2"], "must be in (0, 1]"),
        (["--project", "--serving-days", "30"], "serving needs queries per day, Wh per query and days together"),
        (["--project", "--serving-queries-per-day", "1e6", "--serving-wh-per-query", "3"], "missing serving_days"),
        (["--project", "--idle-fraction", "-1"], "idle_fraction must be >= 0"),
        (["--project", "--goodput", "1e-320"], "overflows"),
    ],
)
def test_cli_bad_project_input_is_one_line_exit_2(capsys, extra, match):
    assert main([*ARGS, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error:") and err.count("\n") == 1
    assert match in err


def test_cli_project_without_hardware_is_one_line_exit_2(capsys):
    assert main(["estimate", "--params", "7B", "--tokens", "2T", "--project"]) == 2
    assert "needs the final run's chip-hours" in capsys.readouterr().err
