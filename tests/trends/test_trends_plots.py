"""Figure 3 and the O(Performance^4) bound, read back from the matplotlib figures (data, not pixels).

Figure 3's lines are the projections' own numbers at each target; its reference lines are one NYC-month of
CO2 (the paper's comparator) and the largest training compute in the bundled Epoch AI systems table (read
here with the csv module, not through flopcast); the bound on each per-benchmark plot has slope exactly 4
in log10(computation) vs log10(1/error) and passes through today's best row.
"""

from __future__ import annotations

import csv
import math
from importlib import resources
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from flopcast.report.trends_figure3 import QUANTITIES, largest_training_run, plot_projections, projections_figure
from flopcast.report.trends_plots import THEORY_LABEL, benchmark_figure
from flopcast.trends.project import NYC_MONTH_CO2_LBS, Projection, analyze, thompson2020_conversion

USER_CSV = """model,date,score,gflops_forward,flops_unit_note,train_compute_flop,notes
a,2015-01,60,1,GMACs,1e18,
b,2016-01,70,4,GMACs,1e19,
c,2017-01,75,9,GMACs,4e19,
d,2018-01,80,30,GMACs,2e20,
e,2019-01,84,100,GMACs,1e21,
"""
PAPER_FLOP_PER_USD = 6.874e16  # Thompson et al. 2020's chart conversions (as tests/trends/test_trends_cli.py)
PAPER_FLOP_PER_LB_CO2 = 3.498e17


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    data = tmp_path_factory.mktemp("csv") / "mybench.csv"
    data.write_text(USER_CSV)
    return analyze(data=data, targets=[10.0, 5.0, 2.0])


def _epoch_largest_flop() -> float:
    """Max 'Training compute (FLOP)' over dated rows of the bundled Epoch table, with the csv module only."""
    path = resources.files("flopcast") / "data" / "epoch" / "ml_systems.csv"
    with path.open(encoding="utf-8") as fh:
        return max(
            float(r["Training compute (FLOP)"])
            for r in csv.DictReader(fh)
            if r["Training compute (FLOP)"] and r["Publication date"]
        )


def _by_gid(ax, gid):
    return [a for a in [*ax.lines, *ax.texts, *ax.collections] if a.get_gid() == gid]


def _assert_unique_gids(fig):
    """gids become SVG element ids: the HTML page inlines the SVG and needs each id once."""
    gids = [a.get_gid() for a in fig.findobj() if a.get_gid()]
    assert gids and len(gids) == len(set(gids))


def test_figure3_lines_are_the_projections_numbers(report):
    fig = projections_figure(report)
    axes = fig.axes[:3]
    projs = [p for p in report.projections if p.measure == "training"]
    assert {p.form for p in projs} == {"polynomial", "exponential"}
    for ax, q in zip(axes, QUANTITIES, strict=True):
        assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
        for form in ("polynomial", "exponential"):
            mine = sorted((p for p in projs if p.form == form), key=lambda p: p.target_error)
            (line,) = _by_gid(ax, f"mybench-{form}-{q}")
            assert list(line.get_xdata()) == [p.target_error for p in mine] == [2.0, 5.0, 10.0]
            assert list(line.get_ydata()) == [getattr(p, q) for p in mine]
    # the paper's conversions, independently: USD = FLOP / 6.874e16, lbs CO2 = FLOP / 3.498e17
    poly = sorted((p for p in projs if p.form == "polynomial"), key=lambda p: p.target_error)
    usd = _by_gid(axes[1], "mybench-polynomial-usd")[0].get_ydata()
    lbs = _by_gid(axes[2], "mybench-polynomial-co2e_lbs")[0].get_ydata()
    assert np.allclose(usd, [p.flop / PAPER_FLOP_PER_USD for p in poly], rtol=1e-12)
    assert np.allclose(lbs, [p.flop / PAPER_FLOP_PER_LB_CO2 for p in poly], rtol=1e-12)
    _assert_unique_gids(fig)
    plt.close(fig)


def test_figure3_reference_lines_are_the_nyc_month_and_the_largest_run(report):
    largest = _epoch_largest_flop()
    assert largest_training_run().flop == largest
    fig = projections_figure(report)
    flop_ax, usd_ax, co2_ax = fig.axes[:3]
    (nyc,) = _by_gid(co2_ax, "mybench-co2e_lbs-nyc-month")
    assert list(nyc.get_ydata()) == [NYC_MONTH_CO2_LBS] * 2 == [1.04e10] * 2
    assert "NYC-month" in nyc.get_label() and "Thompson et al. 2020" in nyc.get_label()
    (run,) = _by_gid(flop_ax, "mybench-flop-largest-run")
    assert list(run.get_ydata()) == [largest] * 2
    assert "Epoch AI" in run.get_label()
    usd = _by_gid(usd_ax, "mybench-usd-largest-run")[0].get_ydata()[0]
    lbs = _by_gid(co2_ax, "mybench-co2e_lbs-largest-run")[0].get_ydata()[0]
    assert usd == pytest.approx(largest / PAPER_FLOP_PER_USD, rel=1e-12)
    assert lbs == pytest.approx(largest / PAPER_FLOP_PER_LB_CO2, rel=1e-12)
    assert not _by_gid(flop_ax, "mybench-flop-nyc-month")  # CO2 only
    plt.close(fig)


def _projection(form, target, flop, low, high, *, priced=True):
    conv = thompson2020_conversion()
    kg = conv.co2e_kg(flop) if priced else None
    return Projection(
        benchmark="toy",
        measure="training",
        form=form,
        frontier=False,
        target_error=target,
        flop=flop,
        flop_low=low,
        flop_high=high,
        flop_conf_low=None,
        flop_conf_high=None,
        interval="prediction",
        decades_beyond_data=1.0,
        usd=conv.usd(flop) if priced else None,
        usd_low=conv.usd(low) if priced else None,
        usd_high=conv.usd(high) if priced else None,
        co2e_kg=kg,
        co2e_lbs=None if kg is None else kg * 2.2046226218487757,
        nyc_months=None,
        conversion=conv.name,
        n=5,
        r2=0.5,
        slope_significant=priced,
    )


def test_unbounded_interval_ends_are_arrows_and_the_caption_says_so():
    projs = (
        _projection("polynomial", 5.0, 1e22, None, None),
        _projection("polynomial", 2.0, 1e24, 1e23, None),
        _projection("exponential", 5.0, 1e21, 1e20, 1e22, priced=False),
    )
    rep = SimpleNamespace(
        benchmarks=(SimpleNamespace(benchmark="toy", projections=projs),),
        conversion=thompson2020_conversion(),
        projection_rows="all",
    )
    fig = projections_figure(rep)
    flop_ax, usd_ax, _ = fig.axes[:3]
    arrows = [a for a in flop_ax.texts if (a.get_gid() or "").startswith("toy-polynomial-flop-open")]
    assert len(arrows) == 3  # both ends at 5%, the upper end at 2%
    assert sorted(a.xy[1] for a in arrows) == [0.0, 1.0, 1.0]  # to the bottom / top edge (axes fraction)
    assert {a.xyann for a in arrows} == {(5.0, 1e22), (2.0, 1e24)}  # from the projected value, in data units
    assert {a.anncoords for a in arrows} == {"data"}
    fig.canvas.draw()  # an arrow read in the wrong coordinates draws for minutes: it must draw at once
    caption = fig.texts[-1].get_text()
    assert "Arrows" in caption and "cannot bound" in caption
    assert "Not priced" in caption and "toy (exponential)" in caption
    assert not _by_gid(usd_ax, "toy-exponential-usd")  # an unpriced form draws no dollars
    assert not _by_gid(usd_ax, "toy-usd-not-priced")  # the polynomial form is priced
    _assert_unique_gids(fig)
    plt.close(fig)


def test_no_projections_no_figure():
    rep = SimpleNamespace(
        benchmarks=(SimpleNamespace(benchmark="toy", projections=()),),
        conversion=thompson2020_conversion(),
        projection_rows="all",
    )
    assert projections_figure(rep) is None


def test_figure3_is_written_under_the_old_name(report, tmp_path):
    written = plot_projections(report, tmp_path)
    assert [p.name for p in written] == ["trends_projections.png", "trends_projections.svg"]
    assert "Figure 3" in written[1].read_text(encoding="utf-8")


def _check_bound(result):
    fig = benchmark_figure(result)
    checked = 0
    for ax in fig.axes:
        measure = next(m for m in ("per-pass", "training") if f": {m} (" in ax.get_title())
        sel = next(s for s in result.selections if s.measure == measure)
        best = min(sel.used, key=lambda r: (r.error_pct, r.flop(measure)))
        (line,) = _by_gid(ax, f"theory-bound-{measure}")
        x, e = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        slope = np.diff(np.log10(x)) / np.diff(np.log10(1.0 / e))
        assert np.allclose(slope, 4.0, rtol=0, atol=1e-9)
        # through today's best row: the line's error at the best row's computation is its error
        at = np.interp(math.log10(best.flop(measure)), np.log10(x), np.log10(e))
        assert 10**at == pytest.approx(best.error_pct, rel=1e-9)
        poly = next(f for f in result.fits if (f.measure, f.form, f.frontier) == (measure, "polynomial", False))
        assert line.get_label().startswith(THEORY_LABEL)
        assert f"k - 4 = {poly.exponent - 4:+.3g}" in line.get_label()
        checked += 1
    _assert_unique_gids(fig)
    plt.close(fig)
    return checked


def test_theory_bound_has_slope_4_through_todays_best(report):
    assert _check_bound(report.benchmarks[0]) == 2  # per-pass and training panels


def test_theory_bound_on_imagenet():
    rep = analyze(["imagenet"], targets=[5.0])
    assert _check_bound(rep.benchmarks[0]) == 2


@pytest.mark.parametrize("bench", ["conll2003", "imagenet"])
def test_the_legend_sits_below_each_panel_and_covers_no_row(bench):
    # inside the panel the legend's long labels covered rows at low computation and high error (CoNLL's taggers)
    rep = analyze([bench], targets=[5.0])
    fig = benchmark_figure(rep.benchmarks[0])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend, panel = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
        assert legend.y1 < panel.y0  # entirely below the axes
        assert legend.y0 >= 0 and fig.bbox.x0 <= legend.x0 and legend.x1 <= fig.bbox.x1  # and inside the figure
    plt.close(fig)
