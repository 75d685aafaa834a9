"""`flopcast simulate`: the paper's Figure 1 experiment (oracle vs flexible vs regularized models)."""

from __future__ import annotations

from typing import Any

import typer

from flopcast.errors import InputError

_HELP = """Why flexible models need far more data and computation: Thompson et al. (2020), Figure 1.

Simulates a linear model with K relevant features among P candidates and Gaussian noise; fits the \
oracle (least squares on the K), the flexible model (least squares on all P, minimum-norm when n < P) \
and the lasso with 5-fold cross-validation; reports performance (-log10 normalized MSE vs the optimal \
predictor) per sample size, the sample size at which each flexible model matches the oracle at \
--reference-n, and FLOP per fit. See docs/simulate.md.

Example: flopcast simulate --sims 200 --workers 2 --plot figure1.png
"""


def _parse_sizes(values: list[str] | None) -> tuple[int, ...] | None:
    if not values:
        return None
    out = []
    for v in values:
        for part in v.replace(" ", ",").split(","):
            if not part:
                continue
            try:
                n = int(part)
            except ValueError:
                raise InputError(
                    f"--sizes: {part!r} is not a whole number of observations (example: --sizes 15,50,200,1500)"
                ) from None
            if n <= 0:
                raise InputError(f"--sizes: {n} is not a positive sample size (example: --sizes 15,50,200,1500)")
            out.append(n)
    return tuple(sorted(set(out)))


def register(app: typer.Typer) -> None:
    @app.command("simulate", help=_HELP)
    def simulate_cmd(
        sims: int = typer.Option(1000, "--sims", help="Simulations per sample size (>= 2)."),
        features: int = typer.Option(None, "--features", help="Candidate features P (default 120)."),
        relevant: int = typer.Option(None, "--relevant", help="Relevant features K <= P (default 2)."),
        noise: float = typer.Option(None, "--noise", help="Noise standard deviation σ > 0 (default 1)."),
        sizes: list[str] = typer.Option(
            None, "--sizes", help="Sample sizes, comma-separated or repeated (default 15,20,30,...,3000)."
        ),
        reference_n: int = typer.Option(15, "--reference-n", help="Oracle sample size to match."),
        workers: int = typer.Option(1, "--workers", help="Local worker processes (joblib)."),
        scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786."),
        seed: int = typer.Option(0, "--seed", help="Root seed (same seed, same result, any workers)."),
        plot: str = typer.Option(None, "--plot", help="Write both panels of Figure 1 to this .png/.svg/.pdf."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        connect_timeout: float = typer.Option(
            None, "--connect-timeout", "--connect-timeout-seconds", help="Seconds to wait for --scheduler (default 10)."
        ),
    ) -> None:
        from dataclasses import replace

        from flopcast.report.console import stderr
        from flopcast.report.jsonout import dumps
        from flopcast.simulate import SimulationConfig, simulate

        config = SimulationConfig(sims=sims, reference_n=reference_n, seed=seed)
        overrides: dict[str, Any] = {
            "features": features,
            "relevant": relevant,
            "noise": noise,
            "sizes": _parse_sizes(sizes),
        }
        config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
        if plot:
            from flopcast.report.simulate_plots import check_plot_destination

            check_plot_destination(plot)  # before the work: a bad destination costs nothing
        result = simulate(config, workers=workers, scheduler=scheduler, connect_timeout_seconds=connect_timeout)
        if as_json:
            typer.echo(dumps(result))
        else:
            from flopcast.report.simulate_render import render_simulation

            render_simulation(result)
        if plot:  # after the results are printed: a failing write never loses them
            from flopcast.report.simulate_plots import plot_figure1

            stderr.print(f"wrote {plot_figure1(result, plot)}")
