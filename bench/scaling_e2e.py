"""End-to-end validation of `flopcast scaling`: fit a law on small real runs, forecast a larger one, run it.

"Benchmark on smaller instances before scaling", done for real on CPU:

1. Corpus: the Python standard library's own source files (ships with every Python; nothing is
   downloaded), byte-level (vocabulary 256). Every 10th file is held out for validation.
2. A family of small decoder-only transformers (pre-LN, tied embeddings) is trained for a grid of
   (model size N, tokens D); N counts non-embedding parameters (Kaplan et al. 2020), D the tokens seen;
   the schedule (warm-up, cosine decay) is matched to each run's length (Hoffmann et al. 2022).
3. The Chinchilla law L(N, D) = E + A/N^α + B/D^β is fitted on the small runs (Huber on log loss, L-BFGS,
   bootstrap over runs), and forecasts the held-out loss of a larger run (more N and more D: several
   times the compute of the largest fitted run); the wall time is forecast from the small runs' seconds
   per FLOP; the compute from C = 6ND, checked against torch's FLOP counter on one real training step.
4. The larger run is trained and the forecasts are compared with what happened.

Run:  python bench/scaling_e2e.py            (full, ~15-20 min on 2 idle cores)
      python bench/scaling_e2e.py --quick    (reduced, a few minutes; what the test suite runs)
Writes results.json and loss_vs_compute.png / isoflop.png under --out (default bench/results/scaling_e2e, git-ignored).
"""

from __future__ import annotations

import argparse
import json
import math
import sysconfig
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

VOCAB = 256


@dataclass(frozen=True)
class Config:
    """One training run: width, depth, steps; batch x context tokens per step."""

    d_model: int
    layers: int
    steps: int
    batch: int = 16
    context: int = 128
    lr: float = 3e-3

    @property
    def tokens(self) -> int:
        return self.steps * self.batch * self.context


# Grids: small runs to fit on (widths x step counts), then one larger target run.
FULL = {
    "fit": [Config(d, 2, s) for d in (32, 48, 64, 96) for s in (100, 200, 400)],
    "target": Config(128, 3, 800),
    "eval_batches": 16,
}
QUICK = {
    "fit": [Config(d, 2, s, batch=8, context=64) for d in (16, 24, 32, 48) for s in (60, 120, 240)],
    "target": Config(64, 2, 480, batch=8, context=64),
    "eval_batches": 8,
}


def corpus(limit_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Byte arrays (train, validation) from the standard library's .py files, in sorted path order."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
    train, val, total = [], [], 0
    for i, p in enumerate(files):
        data = p.read_bytes()
        (val if i % 10 == 0 else train).append(data)
        total += len(data)
        if total >= limit_bytes:
            break
    return (
        np.frombuffer(b"\n".join(train), dtype=np.uint8).copy(),
        np.frombuffer(b"\n".join(val), dtype=np.uint8).copy(),
    )


def build_model(cfg: Config):
    import torch
    from torch import nn
    from torch.nn import functional as F

    class Block(nn.Module):
        def __init__(self, d: int, heads: int):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            d = cfg.d_model
            self.tok = nn.Embedding(VOCAB, d)
            self.pos = nn.Embedding(cfg.context, d)
            self.blocks = nn.Sequential(*[Block(d, max(1, d // 16)) for _ in range(cfg.layers)])
            self.ln = nn.LayerNorm(d)

        def forward(self, idx):
            x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
            return self.ln(self.blocks(x)) @ self.tok.weight.T  # tied output head

    return GPT()


def non_embedding_params(model) -> int:
    """Kaplan et al. 2020's N: all parameters except token and position embeddings."""
    return sum(p.numel() for n, p in model.named_parameters() if not n.startswith(("tok.", "pos.")))


def batches(data: np.ndarray, cfg: Config, rng: np.random.Generator):
    import torch

    while True:
        starts = rng.integers(0, len(data) - cfg.context - 1, cfg.batch)
        chunk = np.stack([data[s : s + cfg.context + 1] for s in starts]).astype(np.int64)
        yield torch.from_numpy(chunk[:, :-1]), torch.from_numpy(chunk[:, 1:])


def evaluate(model, val: np.ndarray, cfg: Config, n_batches: int) -> float:
    """Mean held-out cross-entropy (nats/byte) on a fixed set of validation windows."""
    import torch
    from torch.nn import functional as F

    gen = batches(val, Config(cfg.d_model, cfg.layers, 0, batch=32, context=cfg.context), np.random.default_rng(0))
    model.eval()
    total = 0.0
    with torch.no_grad():
        for _ in range(n_batches):
            x, y = next(gen)
            total += float(F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1)))
    model.train()
    return total / n_batches


def counted_flop_per_step(model, cfg: Config) -> float:
    """Forward + backward FLOP of one real training step, by torch's own FLOP counter."""
    import torch
    from torch.nn import functional as F
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.randint(0, VOCAB, (cfg.batch, cfg.context))
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x).reshape(-1, VOCAB), x.reshape(-1)).backward()
    model.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


def train(cfg: Config, train_data: np.ndarray, val_data: np.ndarray, eval_batches: int, seed: int = 0) -> dict:
    """Train one run; return N, D, C = 6ND, counted FLOP, held-out loss and seconds."""
    import torch
    from torch.nn import functional as F

    torch.manual_seed(seed)
    model = build_model(cfg)
    n = non_embedding_params(model)
    flop_step = counted_flop_per_step(model, cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95), weight_decay=0.1)
    warm = max(1, cfg.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / cfg.steps))))
    )
    gen = batches(train_data, cfg, np.random.default_rng(seed))
    t0 = time.perf_counter()
    for _ in range(cfg.steps):
        x, y = next(gen)
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    seconds = time.perf_counter() - t0
    return {
        "config": asdict(cfg),
        "params": n,
        "tokens": cfg.tokens,
        "flop_6nd": 6.0 * n * cfg.tokens,
        "flop_counted": flop_step * cfg.steps,
        "loss": evaluate(model, val_data, cfg, eval_batches),
        "train_seconds": seconds,
    }


def run(
    grid: dict, out: Path, *, bootstrap: int = 200, corpus_bytes: int = 6_000_000, threads: int = 1, log=None
) -> dict:
    """The whole experiment; returns (and writes) the forecast-vs-actual record."""
    import torch

    from flopcast.errors import InputError
    from flopcast.scaling.laws_plan import plan
    from flopcast.scaling.laws_runs import fit_runs, make_runs

    log = log or (lambda msg: print(msg, flush=True))
    torch.set_num_threads(threads)  # 1: on a shared box, threaded kernels on tiny matrices are slower
    train_data, val_data = corpus(corpus_bytes)
    log(f"corpus: {len(train_data) / 1e6:.2f} MB train, {len(val_data) / 1e6:.2f} MB validation (stdlib .py, bytes)")
    small = []
    for cfg in grid["fit"]:
        r = train(cfg, train_data, val_data, grid["eval_batches"])
        small.append(r)
        log(
            f"  fit run d={cfg.d_model} L={cfg.layers} N={r['params']:,} D={r['tokens']:,} "
            f"C={r['flop_6nd']:.3g} loss={r['loss']:.4f} ({r['train_seconds']:.1f}s)"
        )
    runs = make_runs(
        loss=[r["loss"] for r in small],
        params=[r["params"] for r in small],
        tokens=[r["tokens"] for r in small],
        source="bench/scaling_e2e.py small runs",
    )
    fit = fit_runs(runs, "chinchilla", bootstrap=bootstrap, seed=0)
    log(f"fit: {', '.join(f'{k}={v:.4g}' for k, v in fit.params.items())}; RMSE(log) {fit.residual['rmse_log']:.3g}")

    target = grid["target"]
    n_target = non_embedding_params(build_model(target))
    d_target = target.tokens
    loss_fc = float(fit.predict(params=n_target, tokens=d_target))
    loss_lo, loss_hi = (float(v) for v in fit.predict_interval(params=n_target, tokens=d_target))
    flop_fc = 6.0 * n_target * d_target
    # wall time two ways: (a) seconds per 6ND FLOP of the three largest small runs x the target's FLOP;
    # (b) a power law seconds = a * C^b fitted (least squares in logs) over all small runs, extrapolated
    biggest = sorted(small, key=lambda r: r["flop_6nd"])[-3:]
    sec_per_flop = float(np.median([r["train_seconds"] / r["flop_6nd"] for r in biggest]))
    slope, intercept = np.polyfit(
        np.log([r["flop_6nd"] for r in small]), np.log([r["train_seconds"] for r in small]), 1
    )
    seconds_power = float(np.exp(intercept) * (6.0 * n_target * target.tokens) ** slope)
    try:  # what the same compute would buy at the compute-optimal allocation, if the runs pin that down
        budget_plan = plan(fit, flop=flop_fc)
        optimal: dict = budget_plan.to_dict()
    except InputError as exc:  # few small runs over a narrow range: the allocation's exponents are not identified
        budget_plan, optimal = None, {"refused": str(exc)}
        log(f"compute-optimal plan refused: {exc}")
    log(
        f"forecast for d={target.d_model} L={target.layers}: N={n_target:,} D={d_target:,} C={flop_fc:.3g} "
        f"({flop_fc / max(r['flop_6nd'] for r in small):.1f}x the largest fitted run): loss {loss_fc:.4f} "
        f"[{loss_lo:.4f}, {loss_hi:.4f}], time {sec_per_flop * flop_fc:.0f}s"
    )

    actual = train(target, train_data, val_data, grid["eval_batches"])
    record = {
        "runs": small,
        "fit": fit.to_dict(),
        "target": actual,
        "forecast": {
            "loss": loss_fc,
            "loss_ci": [loss_lo, loss_hi],
            "flop_6nd": flop_fc,
            "train_seconds": sec_per_flop * flop_fc,
            "train_seconds_power_law": seconds_power,
            "seconds_power_law_exponent": float(slope),
            "compute_optimal_at_same_flop": optimal,
        },
        "comparison": {
            "loss_error_pct": 100 * (loss_fc - actual["loss"]) / actual["loss"],
            "actual_loss_in_band": loss_lo <= actual["loss"] <= loss_hi,
            "flop_6nd_over_counted": flop_fc / actual["flop_counted"],
            "time_forecast_over_actual": sec_per_flop * flop_fc / actual["train_seconds"],
            "time_power_law_over_actual": seconds_power / actual["train_seconds"],
            "extrapolation_x": flop_fc / max(r["flop_6nd"] for r in small),
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(record, indent=2))
    try:
        from flopcast.report.scaling_plots import plot_isoflop, plot_loss_vs_compute

        plot_loss_vs_compute(
            fit,
            runs,
            out / "loss_vs_compute.png",
            plan=budget_plan,
            points=(
                (flop_fc, loss_fc, "target run: forecast at its (N, D)", "s"),
                (flop_fc, actual["loss"], "target run: actual", "X"),
            ),
        )
        plot_isoflop(fit, runs, out / "isoflop.png")
    except ImportError:  # matplotlib is a core dependency; kept optional here only for minimal installs
        pass
    return record


def report(record: dict) -> str:
    c, f, t = record["comparison"], record["forecast"], record["target"]
    rows = [
        (
            "held-out loss (nats/byte)",
            f"{f['loss']:.4f} [{f['loss_ci'][0]:.4f}, {f['loss_ci'][1]:.4f}]",
            f"{t['loss']:.4f}",
            f"{c['loss_error_pct']:+.2f}% (in band: {c['actual_loss_in_band']})",
        ),
        (
            "training compute (FLOP)",
            f"{f['flop_6nd']:.3g} (6ND)",
            f"{t['flop_counted']:.3g} (counted)",
            f"6ND / counted = {c['flop_6nd_over_counted']:.3f}",
        ),
        (
            "wall time (s), s/FLOP",
            f"{f['train_seconds']:.0f}",
            f"{t['train_seconds']:.0f}",
            f"forecast / actual = {c['time_forecast_over_actual']:.2f}",
        ),
        (
            "wall time (s), power law",
            f"{f['train_seconds_power_law']:.0f} (s ~ C^{f['seconds_power_law_exponent']:.2f})",
            f"{t['train_seconds']:.0f}",
            f"forecast / actual = {c['time_power_law_over_actual']:.2f}",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [
        f"target run: {c['extrapolation_x']:.1f}x the compute of the largest fitted run",
        f"{'':{width}}  {'forecast':<28} {'actual':<20} comparison",
    ]
    lines += [f"{a:{width}}  {b:<28} {d:<20} {e}" for a, b, d, e in rows]
    refused = f["compute_optimal_at_same_flop"].get("refused")
    if refused:
        lines.append(f"compute-optimal allocation at the same FLOP: refused ({refused})")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="reduced grid (a few minutes)")
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (2 helps on an idle 2-core box)")
    ap.add_argument("--out", type=Path, default=Path("bench/results/scaling_e2e"))
    args = ap.parse_args()
    grid = QUICK if args.quick else FULL
    t0 = time.perf_counter()
    record = run(
        grid,
        args.out,
        bootstrap=args.bootstrap,
        corpus_bytes=2_000_000 if args.quick else 6_000_000,
        threads=args.threads,
    )
    print(report(record))
    print(f"total {time.perf_counter() - t0:.0f}s; results in {args.out}/results.json")


if __name__ == "__main__":
    main()
