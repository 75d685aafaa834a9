"""Year windows: the paper-era fit beside the all-data fit, --since/--until, and bad windows refused.

The exponents are recomputed here from the bundled CSVs with the csv module and a plain
``numpy.polyfit`` over the rows each window keeps, independently of flopcast's loader and OLS.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from flopcast.cli import main
from flopcast.errors import InputError
from flopcast.trends import analyze
from flopcast.trends.window import PAPER_ERA, PAPER_ERA_UNTIL, YearWindow, user_window

from .test_trends_cli import USER_CSV

BENCH = Path(__file__).resolve().parents[2] / "src" / "flopcast" / "data" / "benchmarks"


def _per_pass_exponent(benchmark: str, split: str, until: int | None = None, since: int | None = None):
    """k = -1/b of log10(100 - score) on log10(2 x GMACs x 1e9), rows with a forward count in ``split``."""
    with open(BENCH / f"{benchmark}.csv", encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["gflops_forward"].strip() and split in r["split"]]
    year = [int(r["date"][:4]) for r in rows]
    keep = [
        r for r, y in zip(rows, year, strict=True) if (until is None or y <= until) and (since is None or y >= since)
    ]
    x = np.log10([2e9 * float(r["gflops_forward"]) for r in keep])
    y = np.log10([100.0 - float(r["score"]) for r in keep])
    slope = np.polyfit(x, y, 1)[0]
    return -1.0 / slope, len(keep)


def _fit(report, benchmark: str, measure: str, *, reference: bool = False):
    b = next(b for b in report.benchmarks if b.benchmark == benchmark)
    fits = b.reference_fits if reference else b.fits
    return next(f for f in fits if (f.measure, f.form, f.frontier) == (measure, "polynomial", False))


@pytest.fixture(scope="module")
def default_report():
    return analyze(["imagenet", "coco"], measures=["per-pass"])


@pytest.mark.parametrize(("benchmark", "split"), [("imagenet", "val"), ("coco", "test-dev")])
def test_paper_era_and_all_data_exponents_match_a_plain_polyfit(default_report, benchmark, split):
    k_all, n_all = _per_pass_exponent(benchmark, split)
    k_era, n_era = _per_pass_exponent(benchmark, split, until=PAPER_ERA_UNTIL)
    all_fit = _fit(default_report, benchmark, "per-pass")
    era_fit = _fit(default_report, benchmark, "per-pass", reference=True)
    assert (all_fit.n, era_fit.n) == (n_all, n_era)
    assert all_fit.exponent == pytest.approx(k_all, rel=1e-9)
    assert era_fit.exponent == pytest.approx(k_era, rel=1e-9)


def _csv_years(benchmark: str) -> dict[int, int]:
    """CSV line number -> the year of its date cell, read with the csv module (not flopcast's parser)."""
    with open(BENCH / f"{benchmark}.csv", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        col = header.index("date")
        return {reader.line_num: int(cells[col][:4]) for cells in reader if cells and cells[col].strip()}


@pytest.mark.parametrize("benchmark", ["imagenet", "coco", "squad11", "conll2003", "wmt14_en_fr", "wmt14_en_de"])
def test_training_windows_match_a_plain_polyfit_over_the_rows_they_keep(benchmark):
    """Each row's training FLOP is flopcast's (tested elsewhere); the window and the fit are redone here."""
    report = analyze([benchmark], measures=["training"])
    b = report.benchmarks[0]
    years = _csv_years(benchmark)
    all_used = next(s for s in b.selections if s.measure == "training").used
    for rows, fit in (
        (all_used, _fit(report, benchmark, "training")),
        (
            [r for r in all_used if years.get(r.line, 10**4) <= PAPER_ERA_UNTIL],
            _fit(report, benchmark, "training", reference=True),
        ),
    ):
        slope = np.polyfit(np.log10([r.training_flop for r in rows]), np.log10([r.error_pct for r in rows]), 1)[0]
        assert fit.n == len(rows)
        assert fit.exponent == pytest.approx(-1.0 / slope, rel=1e-9)


def test_imagenet_paper_era_differs_from_all_data(default_report):
    """The 2020-22 rows are a large share of ImageNet per-pass: the two windows give different exponents."""
    all_fit = _fit(default_report, "imagenet", "per-pass")
    era_fit = _fit(default_report, "imagenet", "per-pass", reference=True)
    assert era_fit.n < all_fit.n
    assert abs(era_fit.exponent - all_fit.exponent) > 1.0


def test_until_window_is_the_primary_fit_with_all_data_beside(default_report):
    windowed = analyze(["imagenet"], measures=["per-pass"], until=PAPER_ERA_UNTIL)
    b = windowed.benchmarks[0]
    assert b.window == PAPER_ERA and b.reference is not None and not b.reference.bounded
    assert (
        _fit(windowed, "imagenet", "per-pass").slope
        == _fit(default_report, "imagenet", "per-pass", reference=True).slope
    )
    assert (
        _fit(windowed, "imagenet", "per-pass", reference=True).slope
        == _fit(default_report, "imagenet", "per-pass").slope
    )
    assert all(p.flop is not None for p in windowed.projections)  # projections come from the window's fit


def test_since_window_matches_a_plain_polyfit():
    k, n = _per_pass_exponent("imagenet", "val", since=2020)
    fit = _fit(analyze(["imagenet"], measures=["per-pass"], since=2020), "imagenet", "per-pass")
    assert fit.n == n
    assert fit.exponent == pytest.approx(k, rel=1e-9)


def test_json_says_which_fit_the_paper_claim_corresponds_to(capsys):
    assert main(["trends", "--benchmark", "imagenet", "--no-plots", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    claim = out["paper_claim"]
    assert claim["corresponds_to"] == "paper-era" and claim["cutoff_until"] == PAPER_ERA_UNTIL
    assert "2007.05558v1" in claim["cutoff_source"]
    windows = {(f["measure"], f["frontier"], f["window"]) for f in out["fits"] if f["form"] == "polynomial"}
    assert ("per-pass", False, "paper-era") in windows and ("per-pass", False, "all data") in windows
    era = next(
        f
        for f in out["fits"]
        if (f["measure"], f["form"], f["frontier"], f["window"]) == ("per-pass", "polynomial", False, "paper-era")
    )
    assert claim["paper_era"]["per-pass"]["exponent"] == era["exponent"]


def test_table_names_both_windows_and_the_claim(capsys):
    assert main(["trends", "--benchmark", "imagenet", "--measure", "per-pass", "--no-plots"]) == 0
    text = capsys.readouterr().out
    assert "<=2019" in text and "corresponds to the paper-era fit" in text and "2007.05558v1" in text


def test_user_csv_gets_no_paper_era_reference_unless_asked(tmp_path):
    data = tmp_path / "mine.csv"
    data.write_text(USER_CSV)
    assert analyze(data=data).benchmarks[0].reference is None
    b = analyze(data=data, since=2016).benchmarks[0]
    assert b.reference is not None and b.n_outside_window == 1
    assert {f.n for f in b.fits if not f.frontier} == {4}


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--since", "2021", "--until", "2019"], "--since 2021 is after --until 2019"),
        (["--since", "1990"], "--since 1990 is outside the data"),
        (["--until", "2030"], "--until 2030 is outside the data"),
        (["--benchmark", "imagenet", "--until", "2013"], "in years <=2013"),
    ],
)
@pytest.mark.parametrize("command", [["trends", "--no-plots"], ["project", "imagenet", "--target", "5"]])
def test_bad_windows_are_one_line_exit_2(capsys, command, argv, needle):
    if command[0] == "project" and "--benchmark" in argv:
        argv = argv[2:]
    assert main([*command, *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and needle in err


def test_window_arguments_are_validated():
    with pytest.raises(InputError, match="after --until"):
        user_window(2020, 2019)
    with pytest.raises(InputError, match="outside the data"):
        analyze(["imagenet"], until=2011)
    assert user_window(None, None).bounded is False
    assert user_window(None, PAPER_ERA_UNTIL) == PAPER_ERA


def test_a_window_holds_calendar_years_and_never_an_undated_row():
    w = YearWindow(2018, 2019)
    assert w.contains(2018.04) and w.contains(2019.96) and not w.contains(2017.99) and not w.contains(2020.0)
    assert not w.contains(None) and YearWindow().contains(None)
    assert (w.label, YearWindow(None, 2019).label, YearWindow(2020).label) == ("2018-2019", "<=2019", ">=2020")
    assert math.floor(2019.5) == 2019  # "2019" parses to mid-year and stays in a window ending 2019
