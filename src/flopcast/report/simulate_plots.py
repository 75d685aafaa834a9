"""Both panels of the paper's Figure 1 from a :class:`~flopcast.simulate.SimulationResult`."""

from __future__ import annotations

from pathlib import Path

from flopcast.errors import InputError
from flopcast.report.paths import check_output_file

_STYLE = {
    "oracle": ("black", "Oracle (k relevant features)"),
    "flexible": ("tab:red", "Flexible (all p features, OLS)"),
    "regularized": ("tab:blue", "Flexible + lasso (5-fold CV)"),
}
_SUFFIXES = (".png", ".svg", ".pdf")


def check_plot_destination(path: str | Path) -> Path:
    """The ``--plot`` destination, checked before any work: a known format, an existing writable folder."""
    p = Path(path)
    if p.suffix.lower() not in _SUFFIXES:
        raise InputError(f"--plot {str(p)!r}: use a .png, .svg or .pdf file name")
    return check_output_file(p, option="--plot", suffixes=_SUFFIXES)


def plot_figure1(result, path: str | Path) -> Path:
    """Write Figure 1 (a) performance vs sample size and (b) computation vs performance to ``path``.

    Panel (a): mean performance per sample size (log axis) with the 95 % CI of the mean (dark band)
    and the 5-95 % spread across simulations (light band); the dotted line is the oracle's
    performance at the reference size, the markers where each flexible model reaches it.
    Panel (b): FLOP per fit (log axis) against mean performance, one point per sample size.

    Parameters
    ----------
    result : SimulationResult
    path : str or Path
        ``.png``, ``.svg`` or ``.pdf``.

    Returns
    -------
    Path
        The file written.
    """
    path = check_plot_destination(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    for model, (color, label) in _STYLE.items():
        _model_curves(ax_a, ax_b, result, model, color, label)
    _oracle_match(ax_a, ax_b, result)
    low = max(min(result.model_summary(m)["p05"].min() for m in _STYLE), -1.0)
    _performance_axes(ax_a, low)
    _compute_axes(ax_b, low)
    cfg = result.config
    fig.suptitle(
        f"Figure 1 (Thompson et al. 2020), simulated: k = {cfg.relevant} relevant of p = {cfg.features} "
        f"features, σ = {cfg.noise:g}, {cfg.sims:,} simulations per size",
        fontsize=11,
    )
    try:
        fig.savefig(path, dpi=130)
    except OSError as exc:
        raise InputError(
            f"--plot {str(path)!r}: cannot write it ({exc.strerror or exc}); the results were "
            "computed and printed — give --plot a path you can write to"
        ) from None
    finally:
        plt.close(fig)
    return path


def _model_curves(ax_a, ax_b, result, model: str, color: str, label: str) -> None:
    """One model's mean performance by sample size with its bands (a), and its compute by performance (b)."""
    sizes = list(result.sample_sizes)
    s = result.model_summary(model)
    ax_a.plot(sizes, s["mean"], "o-", color=color, label=label, markersize=3)
    ax_a.fill_between(sizes, s["p05"], s["p95"], color=color, alpha=0.08, linewidth=0)
    ax_a.fill_between(sizes, s["ci_low"], s["ci_high"], color=color, alpha=0.3, linewidth=0)
    ax_b.plot(s["mean"], result.compute_flop[model], "o-", color=color, label=label, markersize=3)


def _oracle_match(ax_a, ax_b, result) -> None:
    """The oracle's performance at the reference size (dotted), and where each flexible model reaches it."""
    match = result.data_to_match_oracle
    target = match["target_performance"]
    ax_a.axhline(target, color="grey", linestyle=":", linewidth=1)
    ax_b.axvline(target, color="grey", linestyle=":", linewidth=1)
    for model in ("flexible", "regularized"):
        n = match[model]
        if n is None:
            continue
        color = _STYLE[model][0]
        ax_a.plot([n], [target], "D", color=color, markersize=7)
        ax_a.annotate(
            f"n ≈ {n:,.0f}", (n, target), textcoords="offset points", xytext=(4, -14), color=color, fontsize=9
        )
        ax_b.plot([target], [result.compute_to_match_oracle_flop[model]], "D", color=color, markersize=7)
    ax_a.annotate(
        f"oracle at n = {result.config.reference_n}",
        (result.sample_sizes[0], target),
        textcoords="offset points",
        xytext=(2, 5),
        color="grey",
        fontsize=9,
    )


def _performance_axes(ax, low: float) -> None:
    """Panel (a): sample size on a log axis with plain numbers; performance from ``low``."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training sample size n (observations)")
    ax.set_ylabel("performance = −log10(normalized MSE vs optimal predictor)")
    ax.set_title("(a) Performance as the sample size grows")
    ax.set_ylim(low, None)
    ax.legend(loc="lower right", fontsize=9)


def _compute_axes(ax, low: float) -> None:
    """Panel (b): FLOP per fit on a log axis against performance from ``low``."""
    ax.set_yscale("log")
    ax.set_xlabel("performance (mean over simulations)")
    ax.set_ylabel("computation per fit (FLOP)")
    ax.set_title("(b) Computation needed to improve performance")
    ax.set_xlim(low, None)
    ax.legend(loc="upper left", fontsize=9)
