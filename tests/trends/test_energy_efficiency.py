"""Energy efficiency (peak FLOP/s per TDP watt) over release years: refit by hand from the CSV, beside Epoch AI's
published rate, and its effect on a CO2 budget (a year formula checked by hand)."""

from __future__ import annotations

import csv
import math
from importlib import resources

import numpy as np
import pytest

from flopcast.trends import analyze
from flopcast.trends.afford import affordability, default_trends
from flopcast.trends.energy_efficiency import PUBLISHED_PER_YEAR, energy_efficiency_trend

FP32 = "FP32 (single precision) performance (FLOP/s)"
TENSOR = "Tensor-FP16/BF16 performance (FLOP/s)"


def _year(text: str) -> float:
    parts = text.split("-")
    return int(parts[0]) + 0.5 if len(parts) == 1 else int(parts[0]) + (int(parts[1]) - 0.5) / 12


def test_the_trend_is_a_polyfit_of_the_chip_table():
    with resources.files("flopcast.data").joinpath("epoch", "chips.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    pts = []
    for r in rows:
        peaks = [float(r[c]) for c in (FP32, TENSOR) if r[c] and float(r[c]) > 0]
        if r["Release date"] and peaks and r["TDP (W)"] and float(r["TDP (W)"]) > 0:
            pts.append((_year(r["Release date"]), max(peaks) / float(r["TDP (W)"])))
    slope = np.polyfit([p[0] for p in pts], np.log10([p[1] for p in pts]), 1)[0]
    t = energy_efficiency_trend()
    assert t.fit.n == len(pts)
    assert t.doubling_years == pytest.approx(math.log10(2) / slope, rel=1e-9)
    assert t.doubling_years_ci[0] < t.doubling_years < t.doubling_years_ci[1]


def test_all_chips_improve_slower_than_epochs_leading_ml_hardware():
    # Epoch's 1.5x per year is for leading ML accelerators; the table's every chip (consumer GPUs included) lags it.
    t = energy_efficiency_trend()
    assert 1.0 < t.per_year < PUBLISHED_PER_YEAR
    assert t.to_dict()["published"]["doubling_years"] == pytest.approx(math.log(2) / math.log(1.5))


@pytest.fixture(scope="module")
def imagenet():
    report = analyze(["imagenet"], measures=["training"], targets=[5.0])
    return report, next(f for f in report.fits if f.form == "polynomial" and not f.frontier)


def test_a_co2_budget_closes_by_algorithms_and_energy_efficiency(imagenet):
    report, fit = imagenet
    kw = dict(usd_per_flop=report.conversion.usd_per_flop, co2e_kg_per_flop=1e-18, budget_usd=1e6, base_year=2020)
    given = default_trends(True, algorithmic_doubling_years=1.0, energy_efficiency_doubling_years=2.0)
    a = affordability(fit, 5.0, budget_co2_t=1.0, trends=given, **kw)
    usd, co2 = a.gaps
    assert co2.rates == ("algorithmic", "energy_efficiency") and "energy_efficiency" not in usd.rates
    need = co2.efficiency_needed
    # CO2 per FLOP halves every year (algorithms) and every 2 years (energy per FLOP): 1.5 doublings per year
    assert co2.year == pytest.approx(2020 + math.log2(need) / 1.5, rel=1e-9)
    slow = default_trends(True, algorithmic_doubling_years=1.0, energy_efficiency_doubling_years=1e9)
    b = affordability(fit, 5.0, budget_co2_t=1.0, trends=slow, **kw)
    assert b.gaps[1].year > co2.year and b.gaps[0].year == usd.year  # energy moves CO2, not dollars
    assert "energy_efficiency_doubling" in [x.name for x in a.assumptions]


def test_a_bad_energy_efficiency_rate_is_refused():
    from flopcast.errors import InputError

    with pytest.raises(InputError, match="--energy-efficiency-doubling-years must be a positive"):
        default_trends(True, energy_efficiency_doubling_years=-1.0)


def test_the_cli_overrides_the_energy_trend_and_refuses_it_without_a_budget(capsys):
    import json

    from flopcast.cli import main

    base = ["project", "imagenet", "--target", "5", "--budget-co2-t", "100", "--json"]
    years = []
    for extra in ([], ["--energy-efficiency-doubling-years", "1e9"]):
        assert main(base + extra) == 0
        doc = json.loads(capsys.readouterr().out)
        years.append([g["year_affordable"] for a in doc["affordability"] for g in a["gaps"]])
    assert all(fast < slow for fast, slow in zip(*years, strict=True))  # the trend brings each CO2 year forward
    assert main(["project", "imagenet", "--target", "5", "--energy-efficiency-doubling-years", "2"]) == 2
    assert "only applies with a budget" in capsys.readouterr().err
