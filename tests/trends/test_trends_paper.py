"""`flopcast trends --paper`: every reconciliation row equals an independent recomputation here.

Exponents, R² and inversions are refitted with ``numpy.polyfit`` on the rows each fit used (or, for ImageNet
per-pass and Figure 2, on the bundled CSVs read with the csv module); the paper's figures are the ones the
rows cite.
"""

from __future__ import annotations

import csv
import json
import math
from importlib import resources

import numpy as np
import pytest

from flopcast.cli import main
from flopcast.trends import analyze
from flopcast.trends.paper import (
    DIFFERENCE,
    ISSUE_ONLY,
    NOT_PUBLIC,
    PASSAGES,
    PROVENANCES,
    REPRODUCED,
    STATUSES,
    UNVERIFIED,
    reconcile,
)

from .test_trends_window import _per_pass_exponent


@pytest.fixture(scope="module")
def reports():
    return analyze(), analyze(["imagenet"], measures=["training"], targets=[5.0], until=2019)


@pytest.fixture(scope="module")
def rows(reports):
    return {c.key: c for c in reconcile(*reports).claims}


def _xy(report, bench, measure, *, reference):
    b = next(b for b in report.benchmarks if b.benchmark == bench)
    sels = b.reference_selections if reference and b.reference_selections else b.selections
    sel = next(s for s in sels if s.measure == measure)
    return np.log10([r.flop(measure) for r in sel.used]), np.log10([r.error_pct for r in sel.used])


def _k_r2(x, y):
    b = np.polyfit(x, y, 1)[0]
    return -1.0 / b, float(np.corrcoef(x, y)[0, 1] ** 2)


def test_every_row_has_a_verdict_and_a_source(rows):
    assert len(rows) == 10
    for c in rows.values():
        assert c.status in STATUSES and c.source and c.reason and c.flopcast


#: The figure each found claim states, as it must appear in the passage read (issue 13: cite what was read).
FIGURE_READ = {
    "imagenet_exponent": "ninth-order polynomial",
    "halve_error": "500 times the computation to reduce the error rate by half",
    "r2_range": "R2 between 29% and 68%",
    "imagenet_r2": "43% of the variance in ImageNet performance",
    "five_percent": "10^5",
    "lower_bound": "fourth-order polynomial",
}


def test_no_claim_rests_on_the_issue_unless_listed_unverified_with_a_reason(rows):
    assert not set(PASSAGES) & set(UNVERIFIED) and set(PASSAGES) | set(UNVERIFIED) == set(rows)
    for key, c in rows.items():
        assert c.provenance in PROVENANCES
        if "as stated in issue" in c.source:
            assert key in UNVERIFIED and len(UNVERIFIED[key]) > 40, key  # a justified entry, not a bare flag
            assert UNVERIFIED[key] in c.source and not c.quoted and c.provenance == ISSUE_ONLY
        else:
            kind, where, quote = PASSAGES[key]
            assert c.quoted and c.provenance == kind != ISSUE_ONLY
            assert where in c.source and quote in c.source
            assert any(d in where for d in (".com/", ".org/", ".me/", ".online/")), where  # an address
            assert FIGURE_READ[key] in quote, key


def test_json_rows_carry_their_provenance(capsys):
    assert main(["trends", "--paper", "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)["claims"]
    assert {c["key"] for c in claims if c["provenance"] == ISSUE_ONLY} == set(UNVERIFIED)
    assert all(c["quoted"] == (c["provenance"] != ISSUE_ONLY) for c in claims)


def test_ninth_power_and_halving(rows):
    k_era, n_era = _per_pass_exponent("imagenet", "val", until=2019)
    k_all, n_all = _per_pass_exponent("imagenet", "val")
    v = rows["imagenet_exponent"].values
    assert v["paper_era_k"] == pytest.approx(k_era, rel=1e-9) and v["paper_era_n"] == n_era
    assert v["all_data_k"] == pytest.approx(k_all, rel=1e-9) and v["all_data_n"] == n_all
    lo, hi = v["paper_era_k_ci"]
    assert rows["imagenet_exponent"].status == (
        REPRODUCED if abs(k_era - 9) <= 1 else DIFFERENCE if lo <= 9 <= hi else NOT_PUBLIC
    )
    h = rows["halve_error"].values
    assert h["paper_implied"] == 512 and h["paper_era"] == pytest.approx(2**k_era, rel=1e-9)
    assert h["all_data"] == pytest.approx(2**k_all, rel=1e-9)


def test_other_exponents_r2_and_lower_bound(reports, rows):
    report, _ = reports
    ks = rows["other_exponents"].values["exponents"]
    r2 = rows["r2_range"].values["r2"]
    for key, k in ks.items():
        bench, measure = key.split(" ")
        assert k == pytest.approx(_k_r2(*_xy(report, bench, measure, reference=True))[0], rel=1e-9)
    for key, value in r2.items():
        bench, measure = key.split(" ")
        assert value == pytest.approx(_k_r2(*_xy(report, bench, measure, reference=True))[1], rel=1e-9)
    assert "wmt14_en_de training" not in r2
    for key, gap in rows["lower_bound"].values["k_minus_4"].items():
        bench, measure = key.split(" ")
        assert gap == pytest.approx(_k_r2(*_xy(report, bench, measure, reference=False))[0] - 4, rel=1e-9)
    assert rows["imagenet_r2"].values["paper_era_r2"] == pytest.approx(r2["imagenet per-pass"], rel=1e-12)


def test_five_percent_more_optimistic_form(reports, rows):
    _, era = reports
    x, ly = _xy(era, "imagenet", "training", reference=False)
    decades = []
    for form, y, target in (("polynomial", ly, math.log10(5.0)), ("exponential", 10**ly, 5.0)):
        b, a = np.polyfit(x, y, 1)
        decades.append(((target - a) / b - x.max(), form))
    best = min(decades)
    v = rows["five_percent"].values
    assert v["form"] == best[1] and v["ratio"] == pytest.approx(10 ** best[0], rel=1e-9)


def test_conversions_and_nyc_month(reports, rows):
    report, _ = reports
    assert rows["conversions"].values["flop_per_usd"] == pytest.approx(6.874e16)  # the paper's factor
    assert rows["conversions"].status == REPRODUCED
    x, y = _xy(report, "imagenet", "training", reference=False)
    b, a = np.polyfit(x, y, 1)
    flop = 10 ** ((math.log10(5.0) - a) / b)
    assert rows["nyc_month"].values["nyc_months"] == pytest.approx(flop / 3.498e17 / 1.04e10, rel=1e-9)


def _year(text):
    parts = text.split("-")
    return int(parts[0]) + (0.5 if len(parts) == 1 else (int(parts[1]) - 0.5) / 12)


def test_compute_growth_all_systems_and_record_setters(rows):
    with resources.files("flopcast.data").joinpath("epoch", "ml_systems.csv").open(encoding="utf-8-sig") as f:
        pts = sorted(
            (_year(r["Publication date"]), float(r["Training compute (FLOP)"]), r["Model"])
            for r in csv.DictReader(f)
            if r["Publication date"] and r["Training compute (FLOP)"] and float(r["Training compute (FLOP)"]) > 0
        )
    era = [(y, v) for y, v, _ in pts if 2012 <= y < 2020]
    slope = np.polyfit([p[0] for p in era], np.log10([p[1] for p in era]), 1)[0]
    best, rec = 0.0, []
    for y, v, _ in pts:
        if v > best:
            rec.append((y, v))
            best = v
    rec = [(y, v) for y, v in rec if 2012 <= y < 2020]
    rslope = np.polyfit([p[0] for p in rec], np.log10([p[1] for p in rec]), 1)[0]
    v = rows["compute_growth"].values
    assert (v["all_systems_n"], v["record_setters_n"]) == (len(era), len(rec))
    assert v["all_systems_x_per_year"] == pytest.approx(10**slope, rel=1e-9)
    assert v["record_setters_x_per_year"] == pytest.approx(10**rslope, rel=1e-9)


def test_cli_paper_table_json_and_refusals(capsys):
    assert main(["trends", "--paper", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["schema"] == "flopcast.paper_reconciliation/1" and len(out["claims"]) == 10
    assert main(["trends", "--paper"]) == 0
    text = capsys.readouterr().out
    assert "verdict" in text and all(f"{c['key']}: " in text for c in out["claims"])
    assert main(["trends", "--paper", "--benchmark", "imagenet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--benchmark" in err


def test_the_lower_bound_is_broken_only_by_an_exponent_whose_ci_lies_below_4():
    from types import SimpleNamespace as NS

    from flopcast.trends.paper import DIFFERENCE, REPRODUCED, lower_bound

    def report(k, ci):
        fit = NS(measure="training", form="polynomial", frontier=False, exponent=k, exponent_ci=ci, n=5)
        return NS(benchmarks=[NS(benchmark="b", fits=[fit])])

    assert lower_bound(report(9.0, (7.0, 11.0))).status == REPRODUCED
    assert lower_bound(report(2.0, (0.5, 6.0))).status == REPRODUCED  # point below, CI reaches 4: not shown below
    broken = lower_bound(report(2.0, (1.0, 3.0)))
    assert broken.status == DIFFERENCE and "b training (n 5)" in broken.reason


def test_other_exponents_count_only_fits_with_a_significant_slope():
    from types import SimpleNamespace as NS

    from flopcast.trends.paper import REPRODUCED, other_exponents

    def fit(k, slope_hi):
        return NS(measure="training", form="polynomial", frontier=False, exponent=k, slope_ci=(-1.0, slope_hi), n=4)

    report = NS(
        benchmarks=[
            NS(benchmark="a", reference_fits=[fit(20.0, -0.01)], fits=[]),
            NS(benchmark="b", reference_fits=[fit(90.0, 0.02)], fits=[]),  # outside, but its slope is not significant
        ]
    )
    c = other_exponents(report)
    assert c.status == REPRODUCED and c.values["exponents"] == {"a training": 20.0}
    assert c.values["undetermined"] == ["b training (n 4)"] and "not counted: b training" in c.flopcast
