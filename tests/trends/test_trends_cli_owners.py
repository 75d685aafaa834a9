"""trends owns the affordability options' check and the decisions `flopcast trends`/`project` used to make in cli/
(issue 12): ``afford_options`` refuses what needs a budget, ``afford(benchmark=...)`` picks the algorithmic rate from
the benchmark's vision flag, ``compute_trend_for`` says whether a compute trend goes beside the analysis.
"""

from __future__ import annotations

import inspect

import pytest

from flopcast.cli import main
from flopcast.errors import InputError
from flopcast.trends import (
    ComputeTrend,
    afford,
    afford_options,
    analyze,
    compute_trend,
    compute_trend_for,
    get_benchmark,
)


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error: ") and err.count("\n") == 1, err
    return err.removeprefix("flopcast: error: ").rstrip("\n")


# 4. trends: the library picks the algorithmic rate's field and whether a compute trend applies


@pytest.mark.parametrize("key", ["imagenet", "squad11"])
def test_afford_reads_the_benchmarks_vision_flag(key):
    b = get_benchmark(key)
    report = analyze([key])
    by_key = afford(report, benchmark=key, budget_usd=1e6, allow_insignificant=True)
    by_flag = afford(report, vision=b.vision, budget_usd=1e6, allow_insignificant=True)
    assert by_key == by_flag
    assert by_key != afford(report, vision=not b.vision, budget_usd=1e6, allow_insignificant=True)


def test_afford_without_a_benchmark_or_vision_needs_an_algorithmic_rate():
    report = analyze(["imagenet"])
    with pytest.raises(InputError, match="--algorithmic-doubling-years"):
        afford(report, budget_usd=1e6)


def test_the_compute_trend_is_beside_bundled_benchmarks_only(tmp_path):
    trend = compute_trend_for(None)
    assert isinstance(trend, ComputeTrend) and trend == compute_trend()
    assert compute_trend_for(tmp_path / "mine.csv") is None


# 5. trends.afford_options: options that need a budget are refused by the library


NEEDS_BUDGET = [  # (option, its value on the command line, afford_options() keyword)
    ("--year", ["2030"], {"year": 2030}),
    ("--lever", ["precision=fp8"], {"lever_texts": ["precision=fp8"]}),
    ("--price-performance-doubling-years", ["2"], {"price_performance_doubling_years": 2.0}),
    ("--algorithmic-doubling-years", ["2"], {"algorithmic_doubling_years": 2.0}),
    ("--spending-growth", [], {"spending_growth": True}),
    ("--spending-growth-per-year", ["2"], {"spending_growth_per_year": 2.0}),
    ("--energy-efficiency-doubling-years", ["2"], {"energy_efficiency_doubling_years": 2.0}),
]


@pytest.mark.parametrize(("option", "value", "kwargs"), NEEDS_BUDGET)
def test_an_option_without_a_budget_is_refused_by_the_library_and_the_cli(capsys, option, value, kwargs):
    message = f"{option} only applies with a budget; add --budget-usd or --budget-co2-t"
    with pytest.raises(InputError) as exc:
        afford_options(**kwargs)
    assert str(exc.value) == message
    assert _error(capsys, ["project", "imagenet", "--target", "5", option, *value]) == message


def test_afford_options_are_afford_keywords_or_none():
    assert afford_options() is None and afford_options(lever_texts=None, spending_growth=False) is None
    opts = afford_options(budget_co2_t=100.0, lever_texts=None)
    assert opts is not None and opts["budget_co2_t"] == 100.0 and opts["lever_texts"] == ()
    assert set(opts) <= set(inspect.signature(afford).parameters)
    with pytest.raises(InputError, match=r"^--spending-growth and --spending-growth-per-year contradict"):
        afford_options(budget_usd=1e6, spending_growth=True, spending_growth_per_year=2.0)
    with pytest.raises(InputError, match=r"^--year only applies"):  # the first named, in the CLI's --help order
        afford_options(year=2030, spending_growth=True)
