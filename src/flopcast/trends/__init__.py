"""The paper's analysis (Thompson et al. 2020): benchmark data, fits, projections, compute over time.

``data`` loads and selects benchmark rows, ``fit`` fits error against computation, ``project`` inverts
the fits at target errors and prices them (:func:`analyze` is the one call behind ``flopcast trends``
and ``flopcast project``), ``window`` keeps the rows of a span of years (the paper-era rows), ``time``
fits training compute over time (the paper's Figure 2). Scaling laws fitted from your own runs live
in :mod:`flopcast.scaling`.
"""

from flopcast.trends.afford import Affordability, afford, afford_options
from flopcast.trends.data import BENCHMARKS, MEASURES, Benchmark, BenchmarkRow, TooFewRowsError, get_benchmark
from flopcast.trends.fit import Fit, fit_trend
from flopcast.trends.hardware_used import benchmark_accelerators, listed_accelerators
from flopcast.trends.paper import Reconciliation, reconcile
from flopcast.trends.project import BenchmarkResult, Conversion, Projection, TrendsReport, analyze, compute_trend_for
from flopcast.trends.time import ComputeTrend, compute_trend
from flopcast.trends.window import PAPER_ERA, YearWindow

__all__ = [
    "BENCHMARKS",
    "MEASURES",
    "PAPER_ERA",
    "Affordability",
    "Benchmark",
    "BenchmarkResult",
    "BenchmarkRow",
    "ComputeTrend",
    "Conversion",
    "Fit",
    "Projection",
    "Reconciliation",
    "TooFewRowsError",
    "TrendsReport",
    "YearWindow",
    "afford",
    "afford_options",
    "analyze",
    "benchmark_accelerators",
    "compute_trend",
    "compute_trend_for",
    "fit_trend",
    "get_benchmark",
    "listed_accelerators",
    "reconcile",
]
