"""Speed of `flopcast simulate` against a straightforward scikit-learn loop on the same grid.

Runs, in one process and one sitting:
1. the full default experiment (1,000 simulations per sample size, all default sizes) with
   ``--workers`` processes (default 2): measured wall time (target < 60 s on 2 cores);
2. the straightforward loop a reader would write: per simulation, draw X (n × p) and y, fit the
   oracle and flexible model with ``numpy.linalg.lstsq`` and the lasso with scikit-learn's
   ``LassoCV(cv=5)`` (same grid: 100 penalties to 1e-3·λ_max, no intercept), score on a held-out
   sample. It runs ``--baseline-sims`` simulations per size on one core; its time for the full
   experiment is extrapolated linearly in simulations and divided by the worker count (perfect
   scaling, generous to the baseline).

The ratio is measured in the same run, so machine load affects both sides. Prints a table and,
with ``--json``, the numbers.

    python bench/simulate_speed.py [--sims 1000] [--workers 2] [--baseline-sims 3]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np

from flopcast.simulate import SimulationConfig, simulate


def baseline(config: SimulationConfig, sims: int, seed: int = 123) -> tuple[float, dict]:
    """Seconds for ``sims`` simulations per size with the plain loop, and its mean performances."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LassoCV
    from sklearn.model_selection import KFold

    rng = np.random.default_rng(seed)
    p, k = config.features, config.relevant
    beta = np.zeros(p)
    beta[:k] = config.coefficient
    x_test = rng.standard_normal((config.test_size // 10, p))
    f_test = x_test @ beta
    perf = {m: [] for m in ("oracle", "flexible", "regularized")}
    start = time.perf_counter()
    for n in config.all_sizes:
        row = {m: [] for m in perf}
        for _ in range(sims):
            x = rng.standard_normal((n, p))
            y = x @ beta + config.noise * rng.standard_normal(n)
            oracle = np.zeros(p)
            oracle[:k] = np.linalg.lstsq(x[:, :k], y, rcond=None)[0]
            flexible = np.linalg.lstsq(x, y, rcond=None)[0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                lasso = (
                    LassoCV(cv=KFold(config.folds), alphas=config.grid_size, eps=config.eps, fit_intercept=False)
                    .fit(x, y)
                    .coef_
                )
            for m, coef in (("oracle", oracle), ("flexible", flexible), ("regularized", lasso)):
                row[m].append(-np.log10(np.mean((x_test @ coef - f_test) ** 2) / np.mean(f_test**2)))
        for m in perf:
            perf[m].append(float(np.mean(row[m])))
    return time.perf_counter() - start, perf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--baseline-sims", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    config = SimulationConfig(sims=args.sims)
    ours = simulate(config, workers=args.workers)
    base_seconds, base_perf = baseline(config, args.baseline_sims)
    base_full = base_seconds / args.baseline_sims * args.sims / args.workers
    out = {
        "sims_per_size": args.sims,
        "sizes": list(config.all_sizes),
        "workers": args.workers,
        "flopcast_seconds": ours.wall_seconds,
        "baseline_seconds_measured": base_seconds,
        "baseline_sims_per_size": args.baseline_sims,
        "baseline_seconds_extrapolated": base_full,
        "speedup": base_full / ours.wall_seconds,
        "target_seconds": 60.0,
        "data_to_match_oracle": ours.data_to_match_oracle,
        "baseline_mean_performance": base_perf,
        "flopcast_mean_performance": {m: ours.model_summary(m)["mean"].tolist() for m in base_perf},
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"full experiment: {args.sims} sims x {len(config.all_sizes)} sizes, {args.workers} workers")
    print(f"  flopcast simulate          {ours.wall_seconds:8.1f} s  (target < 60 s)")
    print(
        f"  scikit-learn loop          {base_full:8.1f} s  (extrapolated from {args.baseline_sims} sims/size, "
        f"{base_seconds:.1f} s measured on 1 core, / {args.workers} workers)"
    )
    print(f"  speed-up                   {base_full / ours.wall_seconds:8.1f} x")
    m = ours.data_to_match_oracle
    print(
        f"  matches the oracle at n={m['reference_n']}: flexible n ≈ {m['flexible']:.0f} "
        f"{m['flexible_interval']}, lasso-CV n ≈ {m['regularized']:.0f} {m['regularized_interval']}"
    )


if __name__ == "__main__":
    main()
