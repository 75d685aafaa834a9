"""Overhead of tracking a CPU training loop: flopcast vs codecarbon, measured in one run.

Two figures, each measured here against a peer in the same process/run:

1. **Step-time ratio**: a small MLP trains on the CPU in interleaved blocks — untracked, tracked by
   ``flopcast.track`` (default 1 s interval, SQLite ledger on), tracked by codecarbon's
   ``OfflineEmissionsTracker`` (its default 15 s interval, and at 1 s for a like-for-like interval).
   Each round runs every variant once, in a shuffled order; the ratio of a variant is its block time
   over the untracked block time *of the same round* (neighbouring in time, so background load on
   a shared box mostly cancels). We report the median ratio over rounds and the interquartile range.
   Block time is a *sum* of step times (a mean), so a sampler tick that stalls one step counts.
   Both wall time and process CPU time (all threads of the process, so the sampler thread's own
   work is included) are reported; the CPU-time ratio is far less sensitive to other jobs on a
   shared machine, the wall ratio is the one a user feels. Third, load-insensitive: the CPU time of
   the process's non-main threads (the trackers' sampling threads) per wall second of the loop —
   an upper bound on what a tracker can take from the training thread — and the cost of one
   ``run.step()`` call.
2. **Cold start**: in a fresh interpreter, import + construct + start → first sample written
   (flopcast: first ledger row committed; codecarbon: ``start()`` returned — it takes its first
   measurement inside ``start()``), and for both, ``start()`` alone.

codecarbon runs offline with ``country_iso_code="FRA"`` (no network), ``save_to_file=False``.

Run:  python bench/track_overhead.py [--rounds 5] [--block-seconds 4] [--json out.json]
Needs: torch (CPU) and, for the peer, ``pip install codecarbon``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_loop(torch):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(64, 256), torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def block(step, n, on_step=None):
    """(wall s, process CPU s, CPU s of every thread but the main one).

    Process CPU counts all threads, so a sampler thread's work is included; the third figure is
    process CPU minus the main thread's own CPU, which also counts short-lived threads (codecarbon
    measures from a new timer thread each tick).
    """
    t, c, m = time.perf_counter(), time.process_time(), time.thread_time()
    for _ in range(n):
        step()
        if on_step is not None:
            on_step()
    wall, cpu, main_cpu = time.perf_counter() - t, time.process_time() - c, time.thread_time() - m
    return wall, cpu, cpu - main_cpu


def variants(ledger_dir: Path, have_cc: bool):
    import flopcast

    def untracked(step, n):
        return block(step, n)

    def flopcast_default(step, n):
        with flopcast.track(ledger=ledger_dir / "bench.sqlite", total_steps=n) as run:
            return block(step, n, run.step)

    out = {"untracked": untracked, "flopcast (1 s)": flopcast_default}
    if have_cc:
        from codecarbon import OfflineEmissionsTracker

        def cc(interval):
            def run_cc(step, n):
                kw = {} if interval is None else {"measure_power_secs": interval}
                tr = OfflineEmissionsTracker(
                    country_iso_code="FRA", save_to_file=False, log_level="error", project_name="bench", **kw
                )
                tr.start()
                try:
                    return block(step, n)
                finally:
                    tr.stop()

            return run_cc

        out["codecarbon (15 s default)"] = cc(None)
        out["codecarbon (1 s)"] = cc(1)
    return out


COLD_FLOPCAST = """
import time, sys
t0 = time.perf_counter()
import flopcast
run = flopcast.track(ledger=sys.argv[1], interval=1.0)
t1 = time.perf_counter()
run.start()
t2 = time.perf_counter()
while run.first_sample_seconds is None:
    time.sleep(0.0005)
t3 = time.perf_counter()
run.stop()
print(t2 - t1, t3 - t0)
"""

COLD_CODECARBON = """
import time, logging
t0 = time.perf_counter()
from codecarbon import OfflineEmissionsTracker
tr = OfflineEmissionsTracker(country_iso_code="FRA", save_to_file=False, log_level="error")
t1 = time.perf_counter()
tr.start()
t2 = time.perf_counter()
tr.stop()
print(t2 - t1, t2 - t0)
"""


def cold_start(code: str, args: list[str], repeats: int) -> dict[str, float]:
    starts, firsts = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
        a, b = map(float, out.stdout.split()[-2:])
        starts.append(a)
        firsts.append(b)
    return {
        "start_seconds_median": statistics.median(starts),
        "import_to_first_sample_seconds_median": statistics.median(firsts),
        "repeats": repeats,
    }


def step_call_seconds(n: int = 1_000_000) -> float:
    """Cost of one ``run.step()`` call, s (timed over many calls; the sampler thread idles meanwhile)."""
    import flopcast

    with flopcast.track(ledger=False, interval=60) as run:
        t = time.perf_counter()
        for _ in range(n):
            run.step()
        return (time.perf_counter() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--block-seconds", type=float, default=4.0, help="target length of each block")
    ap.add_argument("--cold-repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1: robust on a shared box)")
    ap.add_argument("--no-peers", action="store_true", help="flopcast vs untracked only (more rounds per minute)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    import torch

    torch.set_num_threads(args.threads)
    try:
        import codecarbon  # noqa: F401

        have_cc = not args.no_peers
    except ImportError:
        have_cc = False
        print("codecarbon not installed: peer rows skipped (pip install codecarbon)", file=sys.stderr)
    step = make_loop(torch)
    block(step, 20)  # warm up
    per_step = min(block(step, 50)[0] for _ in range(3)) / 50
    n = max(50, int(args.block_seconds / per_step))
    tmp = Path(tempfile.mkdtemp(prefix="flopcast-bench-"))
    vs = variants(tmp, have_cc)
    rng = random.Random(0)
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in vs}
    for r in range(args.rounds):
        order = list(vs)
        rng.shuffle(order)
        for name in order:
            times[name].append(vs[name](step, n))
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{k} {times[k][-1][0]:.2f}s" for k in vs), file=sys.stderr)
    result = {
        "torch_threads": torch.get_num_threads(),
        "steps_per_block": n,
        "rounds": args.rounds,
        "untracked_step_ms_median": 1e3 * statistics.median(t[0] for t in times["untracked"]) / n,
        "ratios": {},
    }
    for name in vs:
        if name == "untracked":
            continue
        bg = sum(t[2] for t in times[name]) / sum(t[0] for t in times[name])
        result["ratios"][name] = {"background_cpu_fraction": bg}
        for i, kind in enumerate(("wall", "cpu")):
            ratios = [t[i] / u[i] for t, u in zip(times[name], times["untracked"])]
            q = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else [ratios[0]] * 3
            result["ratios"][name][kind] = {
                "median": statistics.median(ratios),
                "q1": q[0],
                "q3": q[2],
                "all": [round(x, 4) for x in ratios],
            }
    result["cold_start"] = {"flopcast": cold_start(COLD_FLOPCAST, [str(tmp / "cold.sqlite")], args.cold_repeats)}
    if have_cc:
        result["cold_start"]["codecarbon"] = cold_start(COLD_CODECARBON, [], args.cold_repeats)
    print(
        f"\nCPU training loop: {n} steps/block x {args.rounds} rounds, "
        f"{result['untracked_step_ms_median']:.2f} ms/step untracked, {result['torch_threads']} torch threads"
    )
    print(
        f"{'tracker':28s} {'wall ratio':>11s} {'IQR':>16s} {'CPU ratio':>10s} {'IQR':>16s} "
        f"{'tracker-thread CPU/wall':>24s}"
    )
    for name, r in result["ratios"].items():
        w, c = r["wall"], r["cpu"]
        print(
            f"{name:28s} {w['median']:11.4f} {w['q1']:7.4f}-{w['q3']:.4f} {c['median']:10.4f} "
            f"{c['q1']:7.4f}-{c['q3']:.4f} {r['background_cpu_fraction']:24.5f}"
        )
    per_call = step_call_seconds()
    result["flopcast_step_call_seconds"] = per_call
    print(
        f"\nflopcast run.step(): {per_call * 1e9:.0f} ns per call "
        f"({per_call / (result['untracked_step_ms_median'] / 1e3):.2e} of one training step)"
    )
    print(f"\n{'cold start (fresh process)':28s} {'start() s':>10s} {'import->first sample s':>24s}")
    for name, c in result["cold_start"].items():
        print(f"{name:28s} {c['start_seconds_median']:10.3f} {c['import_to_first_sample_seconds_median']:24.3f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
