"""Results read well in a notebook: a one-line repr under 200 characters with the headline figures and their units,
``summary()`` lines, an escaped ``_repr_html_`` and ``to_pandas()`` where a table is natural (flopcast._display).

Every result is built from a real small computation; the figures the tests look for are derived by hand in the
comments (a two-layer MLP's FLOP, an A100's wall clock at 40% of its 312 TFLOP/s bf16 peak, a compute law's loss).
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopcast._display import REPR_LIMIT, Displayable, Tabular, format_value
from flopcast.errors import InputError
from flopcast.provenance import Assumption

SCRIPT = "<script>alert(1)</script>"


# ------------------------------------------------------------------ one of each result, from a real computation


@pytest.fixture(scope="module")
def count_result():
    torch = pytest.importorskip("torch")
    from flopcast import count

    with torch.device("meta"):
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    return count(model, torch.empty(2, 8, device="meta"))


@pytest.fixture(scope="module")
def an_estimate():
    from flopcast.estimate import estimate

    return estimate(flop=1e21, hardware="a100 80gb", chips=8)


@pytest.fixture(scope="module")
def project():
    from flopcast.estimate import estimate_project

    return estimate_project(flop=1e21, hardware="a100 80gb", chips=8)[1]


@pytest.fixture(scope="module")
def run():
    from flopcast import track

    with track(ledger=False, interval=0.05, name=SCRIPT) as r:
        r.step(3)
    return r


@pytest.fixture(scope="module")
def law_fit():
    from flopcast.scaling import fit_law
    from flopcast.scaling.laws import compute_loss

    rng = np.random.default_rng(0)
    flop = 10 ** rng.uniform(15, 20, 20)
    loss = compute_loss(flop, E=1.8, A=1000.0, alpha=0.15) * np.exp(rng.normal(0, 0.005, 20))
    return fit_law("compute", flop=flop, loss=loss, bootstrap=10, seed=0)


@pytest.fixture(scope="module")
def scaling_plan(law_fit):
    from flopcast.scaling import plan

    return plan(law_fit, flop=1e21)


@pytest.fixture(scope="module")
def trends():
    from flopcast.trends.project import analyze

    return analyze(["imagenet"], measures=["training"], targets=[5.0])


@pytest.fixture(scope="module")
def simulation():
    from flopcast.simulate import SimulationConfig, simulate

    return simulate(SimulationConfig(sims=4, features=10, relevant=2, sizes=(15, 40), chunk=2, test_size=500, seed=5))


RESULTS = ["count_result", "an_estimate", "project", "law_fit", "scaling_plan", "trends", "simulation"]
# a text field of each result, set to a <script> tag for the escaping test
TEXT_FIELD = {
    "count_result": "model",
    "an_estimate": "hardware",
    "law_fit": "law",
    "scaling_plan": "law",
    "trends": "projection_rows",
    "simulation": "backend",
}


@pytest.fixture(params=RESULTS)
def result(request):
    return request.getfixturevalue(request.param)


# ------------------------------------------------------------------ the repr


@pytest.mark.parametrize(
    "name, before",
    [
        ("count_result", 2202),
        ("an_estimate", 4609),
        ("project", 4310),
        ("law_fit", 728),
        ("scaling_plan", 643),
        ("trends", 155276),
        ("simulation", 1378),
    ],
)
def test_repr_is_one_short_line_naming_the_class_and_every_headline_figure(request, name, before):
    obj = request.getfixturevalue(name)
    text = repr(obj)
    assert len(text) < REPR_LIMIT < before  # before: the dataclass repr of this very result (measured, 2026-12-04)
    assert "\n" not in text and text.startswith(f"<{type(obj).__name__} ")
    for field in obj._headline:
        if getattr(obj, field) is not None:
            assert f"{field}=" in text
    assert "nan" not in text.lower() and "inf" not in text.lower()


def test_count_repr_has_the_hand_counted_figures(count_result):
    # params: Linear(8, 16) 8*16 + 16, Linear(16, 4) 16*4 + 4 = 212; forward: 2 FLOP per multiply-add, batch 2:
    # 2*2*(8*16 + 16*4) = 768 FLOP. Inference: no train-step figure, so the repr leaves it out.
    text = repr(count_result)
    assert "model=Sequential" in text and "mode=forward" in text and "params=212" in text
    assert "forward_flop=768 FLOP" in text and "train_step_flop" not in text and "incomplete=False" in text


def test_estimate_repr_has_the_hand_derived_wall_clock(an_estimate):
    # 1e21 FLOP / (8 chips x 312e12 FLOP/s bf16 peak x 0.4 utilization) / 3600 = 278.2 h
    assert an_estimate.wall_hours == pytest.approx(1e21 / (8 * 312e12 * 0.4) / 3600)
    text = repr(an_estimate)
    assert "training_flop=1 ZFLOP" in text and "wall_hours=278 h" in text and "A100" in text
    assert re.search(r"cost_usd=\$[\d,]+", text) and re.search(r"energy_kwh=[\d.]+ [kM]?Wh", text)
    assert re.search(r"co2e_kg=[\d.]+ (kg|t) CO2e", text)


def test_project_repr_has_the_final_runs_chip_hours(project):
    # the final run: 8 chips x 278.2 h = 2,226 chip-hours
    text = repr(project)
    assert "final_chip_hours=2,226 h" in text and f"lines={len(project.lines)}" in text


def test_law_fit_repr_shows_the_recovered_exponent(law_fit):
    alpha = float(re.search(r"alpha=([\d.]+)", repr(law_fit)).group(1))
    assert alpha == pytest.approx(0.15, abs=0.02)  # the synthetic runs' true exponent
    assert "law=compute" in repr(law_fit) and "n=20" in repr(law_fit)


def test_scaling_plan_repr_shows_the_loss_the_budget_buys(law_fit, scaling_plan):
    p = law_fit.params
    loss = p["E"] + p["A"] * 1e21 ** -p["alpha"]  # L(C) = E + A C^-alpha at C = 1e21
    text = repr(scaling_plan)
    assert "flop=1 ZFLOP" in text and f"loss={loss:.4g}" in text
    assert "params=" not in text  # a compute-only law allocates no N and D: left out, not printed as n/a or nan


def test_unidentified_figures_read_unidentified_never_nan(scaling_plan, law_fit):
    plan = dataclasses.replace(scaling_plan, loss=float("nan"), unidentified=("loss",))
    assert "loss=unidentified" in repr(plan) and "nan" not in repr(plan).lower()
    fit = dataclasses.replace(law_fit, unidentified=("alpha",))
    assert "alpha=unidentified" in repr(fit) and "unidentified" in fit._repr_html_()


def test_run_and_its_record_have_short_reprs(run):
    assert repr(run) == f"<flopcast Run {run.run_id} sampler stopped, 3 steps>"  # not an object address
    record = run.result
    assert len(repr(record)) < REPR_LIMIT and record.run_id in repr(record) and "completed, 3 steps" in repr(record)


@settings(max_examples=40, deadline=None)
@given(text=st.text(min_size=0, max_size=600))
def test_any_model_name_keeps_the_repr_one_line_and_short(count_result, text):
    r = repr(dataclasses.replace(count_result, model=text))
    assert len(r) < REPR_LIMIT and "\n" not in r and "\r" not in r


# ------------------------------------------------------------------ summary()


def test_summary_lists_the_headline_then_each_assumption_and_basis(result):
    text = result.summary()  # SimulationResult's per-model table is model_summary(model): no clash
    lines = text.splitlines()
    assert lines[0] == type(result).__name__
    for i, (name, value) in enumerate(result.headline().items(), start=1):
        assert lines[i].split()[0] == name and lines[i].endswith(value)
    inputs = list(getattr(result, result._assumptions, None) or ())
    if inputs:
        at = lines.index(f"{result._assumptions}:")
        for line, a in zip(lines[at + 1 :], inputs):
            assert line.startswith(f"  {a.name} = ") and line.endswith(f"({a.basis.value})")
    assert "nan" not in text.lower()


def test_estimate_summary_shows_given_and_assumed(an_estimate):
    text = an_estimate.summary()
    assert "  training_flop = 1e+21 FLOP (given)" in text and "  chips = 8 chips (given)" in text
    assert "(assumed)" in text


def test_run_record_summary_and_html(run):
    text = run.result.summary()
    assert "  steps         3" in text.splitlines() and "  status        completed" in text.splitlines()
    assert SCRIPT not in run.result._repr_html_() and html_escaped(SCRIPT) in run.result._repr_html_()


def test_warnings_and_caveats_are_listed(law_fit, project):
    fit = dataclasses.replace(law_fit, warnings=("alpha is not pinned down: add runs over 3 decades",))
    assert "  - alpha is not pinned down: add runs over 3 decades" in fit.summary().splitlines()
    assert all(f"  - {c}" in project.summary().splitlines() for c in project.caveats)


# ------------------------------------------------------------------ _repr_html_


def html_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("name", sorted(TEXT_FIELD))
def test_html_escapes_every_value(request, name):
    obj = request.getfixturevalue(name)
    bad = dataclasses.replace(obj, **{TEXT_FIELD[name]: SCRIPT})
    page = bad._repr_html_()
    assert "<script" not in page and html_escaped(SCRIPT) in page
    assert page.startswith('<table class="flopcast-result"><caption>')
    assert page.count("<table") == page.count("</table>")


def test_html_escapes_assumption_values(an_estimate):
    bad = dataclasses.replace(an_estimate, assumptions=(Assumption(SCRIPT, SCRIPT, "<b>", "x"),))
    page = bad._repr_html_()
    assert "<script" not in page and "<b>" not in page and page.count(html_escaped(SCRIPT)) == 2


# ------------------------------------------------------------------ to_pandas()


def test_count_to_pandas_has_one_row_per_module(count_result):
    pd = pytest.importorskip("pandas")
    frame = count_result.to_pandas()
    assert isinstance(frame, pd.DataFrame) and frame.index.name == "module"
    # Linear(8, 16): 2*2*8*16 = 512; ReLU: 0 matmul FLOP; Linear(16, 4): 2*2*16*4 = 256; the model: their sum
    assert frame["forward_flop"].to_dict() == {"": 768, "0": 512, "1": 0, "2": 256}
    assert list(frame["type"]) == ["Sequential", "Linear", "ReLU", "Linear"]


def test_trends_to_pandas_has_its_fits_rows(trends):
    pytest.importorskip("pandas")
    frame = trends.to_pandas()
    assert len(frame) == len(trends.fits) == 4  # two forms (polynomial, exponential) x all rows / frontier
    assert list(frame["slope"]) == [f.slope for f in trends.fits]
    assert set(frame["benchmark"]) == {"imagenet"} and set(frame["measure"]) == {"training"}


def test_project_to_pandas_has_its_overhead_lines(project):
    pytest.importorskip("pandas")
    frame = project.to_pandas()
    assert list(frame["name"]) == [ln.name for ln in project.lines]
    assert list(frame["kwh"]) == [ln.kwh for ln in project.lines]
    assert list(frame["low.kwh"]) == [ln.low["kwh"] for ln in project.lines]  # nested figures: dotted columns


def test_without_pandas_to_pandas_is_one_line_naming_the_install(count_result, trends, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    for obj in (count_result, trends):
        with pytest.raises(InputError) as err:
            obj.to_pandas()
        assert "pip install pandas" in str(err.value) and "\n" not in str(err.value)


def test_only_table_shaped_results_have_to_pandas(law_fit, scaling_plan, an_estimate, simulation, run):
    for obj in (law_fit, scaling_plan, an_estimate, simulation, run.result):
        assert not hasattr(obj, "to_pandas")


# ------------------------------------------------------------------ the mixin keeps dataclass semantics


def test_results_stay_frozen_dataclasses_with_their_fields_and_to_dict(result):
    assert dataclasses.is_dataclass(result)
    assert "_headline" not in {f.name for f in dataclasses.fields(result)}
    first = dataclasses.fields(result)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, first, None)
    assert result.to_dict()["schema"].startswith("flopcast.")
    assert result == dataclasses.replace(result)


def test_format_value_units_by_name():
    assert format_value("forward_flop", 2.1e9) == "2.1 GFLOP"
    assert format_value("achieved_flop_per_s", 3.12e14) == "312 TFLOP/s"
    assert format_value("energy_kwh", 1110.0) == "1.11 MWh"
    assert format_value("cost_usd", 6210.4) == "$6,210" and format_value("cost_usd", 12.34) == "$12.3"
    assert format_value("co2e_kg", 533.0) == "533 kg CO2e" and format_value("total_kg_co2e", 2500.0) == "2.5 t CO2e"
    assert format_value("wall_seconds", 90061) == "1.04 d" and format_value("wall_hours", 2225.8) == "2,226 h"
    assert format_value("mfu", 0.412) == "41.2%" and format_value("params", 124_000_000) == "124 M"
    assert format_value("x", float("nan")) == "n/a" == format_value("x", float("inf")) == format_value("x", None)
    assert format_value("compute_flop", {"a": 1e6, "b": None}) == "{a=1 MFLOP, b=n/a}"
    assert format_value("params", {"E": 1.8, "A": 1000.0}) == "{E=1.8, A=1000}"  # law parameters, not counts
    assert format_value("sizes", (15, 25, 40, 80, 160)) == "[15 … 160] (5 values)"


def test_display_is_a_root_module_of_rank_0():
    """It imports only the standard library and flopcast.errors / flopcast.units (no numpy, no pandas at import)."""
    path = Path(__file__).resolve().parents[2] / "src" / "flopcast" / "_display.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    for name in names:
        top = name.split(".")[0]
        assert name in ("flopcast.errors", "flopcast.units") or (top != "flopcast" and top in sys.stdlib_module_names)
    assert issubclass(Tabular, Displayable) and not hasattr(Displayable, "to_pandas")
    assert math.isfinite(REPR_LIMIT)
