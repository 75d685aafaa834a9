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
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    sizes = list(result.sample_sizes)
    match = result.data_to_match_oracle
    cfg = result.config
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    for model, (color, label) in _STYLE.items():
        s = result.summary(model)
        ax_a.plot(sizes, s["mean"], "o-", color=color, label=label, markersize=3)
        ax_a.fill_between(sizes, s["p05"], s["p95"], color=color, alpha=0.08, linewidth=0)
        ax_a.fill_between(sizes, s["ci_low"], s["ci_high"], color=color, alpha=0.3, linewidth=0)
        ax_b.plot(s["mean"], result.compute_flop[model], "o-", color=color, label=label, markersize=3)
    target = match["target_performance"]
    ax_a.axhline(target, color="grey", linestyle=":", linewidth=1)
    ax_b.axvline(target, color="grey", linestyle=":", linewidth=1)
    for model in ("flexible", "regularized"):
        n = match[model]
        if n is not None:
            ax_a.plot([n], [target], "D", color=_STYLE[model][0], markersize=7)
            ax_a.annotate(
                f"n ≈ {n:,.0f}",
                (n, target),
                textcoords="offset points",
                xytext=(4, -14),
                color=_STYLE[model][0],
                fontsize=9,
            )
            flop = result.compute_to_match_oracle_flop[model]
            ax_b.plot([target], [flop], "D", color=_STYLE[model][0], markersize=7)
    ax_a.annotate(
        f"oracle at n = {cfg.reference_n}",
        (sizes[0], target),
        textcoords="offset points",
        xytext=(2, 5),
        color="grey",
        fontsize=9,
    )
    ax_a.set_xscale("log")
    ax_a.xaxis.set_major_formatter(ScalarFormatter())
    ax_a.xaxis.set_minor_formatter(NullFormatter())
    ax_a.set_xlabel("training sample size n (observations)")
    ax_a.set_ylabel("performance = −log10(normalized MSE vs optimal predictor)")
    ax_a.set_title("(a) Performance as the sample size grows")
    low = min(result.summary(m)["p05"].min() for m in _STYLE)
    ax_a.set_ylim(max(low, -1.0), None)
    ax_a.legend(loc="lower right", fontsize=9)
    ax_b.set_yscale("log")
    ax_b.set_xlabel("performance (mean over simulations)")
    ax_b.set_ylabel("computation per fit (FLOP)")
    ax_b.set_title("(b) Computation needed to improve performance")
    ax_b.set_xlim(max(low, -1.0), None)
    ax_b.legend(loc="upper left", fontsize=9)
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
