"""`flopcast trends --data` on a large CSV: wall time and peak memory against a plain numpy peer.

1. Writes a synthetic benchmark history of ``--rows`` rows (default 1,000,000) in the format
   ``trends --data`` reads (model, date, score, gflops_forward as GMACs, train_compute_flop), with
   a known law: log10(error %) = 1.6 − 0.25·log10(GMACs) + noise.
2. Runs ``python -m flopcast trends --data FILE --no-plots`` in a child process (both measures, both
   forms, all rows and frontier fits, leave-one-out, bootstrap, projections, the printed tables).
3. Runs the peer in another child: the standard library's csv reader and ``numpy.linalg.lstsq`` of
   the same four regressions on the same rows (no intervals, no robustness checks, no validation).
4. Prints (and writes under --out) each one's wall time and peak RSS (``os.wait4`` rusage of the
   child) and the ratio flopcast / peer. Targets: under 30 s and under 1 GB on 2 cores.

Run:  python bench/trends_large.py [--rows 1000000] [--out bench/results/trends_large]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PEER = r"""
import csv, sys, numpy as np
with open(sys.argv[1], newline="") as fh:
    rows = list(csv.DictReader(fh))
err = np.array([100.0 - float(r["score"]) for r in rows])
for col, scale in (("gflops_forward", 2e9), ("train_compute_flop", 1.0)):
    x = np.log10(np.array([float(r[col]) for r in rows]) * scale)
    X = np.column_stack([np.ones_like(x), x])
    for y in (np.log10(err), err):
        coef = np.linalg.lstsq(X, y, rcond=None)[0]
        print(col, coef[1])
"""


def write_csv(path: Path, rows: int, seed: int = 1, chunk: int = 100_000) -> None:
    """Synthetic rows with a known slope (−0.25 per decade of FLOP), written in chunks."""
    rng = np.random.default_rng(seed)
    with path.open("w") as fh:
        fh.write("model,date,score,gflops_forward,flops_unit_note,train_compute_flop\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            lg = rng.uniform(0, 3, n)
            err = np.clip(10 ** (1.6 - 0.25 * lg + rng.normal(0, 0.08, n)), 0.5, 99)
            train = 10 ** (lg + 17 + rng.normal(0, 0.3, n))
            year, month = rng.integers(2012, 2024, n), rng.integers(1, 13, n)
            fh.writelines(
                f"m{start + i},{year[i]}-{month[i]:02d},{100 - err[i]:.4f},{10 ** lg[i]:.5g},GMACs,{train[i]:.4g}\n"
                for i in range(n)
            )


def timed_child(argv: list[str]) -> dict:
    """Wall seconds, peak RSS (MB, ``os.wait4`` rusage of this child alone) and exit code of one child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; tell Popen so it does not wait again
        out.seek(0)
        err.seek(0)
        return {
            "wall_s": round(wall, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "exit": proc.returncode,
            "stdout_tail": out.read().decode()[-600:],
            "stderr_tail": err.read().decode()[-600:],
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path("bench/results/trends_large"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / "synthetic_history.csv"
    t0 = time.perf_counter()
    write_csv(data, args.rows)
    print(f"wrote {args.rows:,} rows ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    flop = timed_child([sys.executable, "-m", "flopcast", "trends", "--data", str(data), "--no-plots"])
    peer = timed_child([sys.executable, "-c", PEER, str(data)])
    record = {
        "rows": args.rows,
        "cpus": os.cpu_count(),
        "flopcast": flop,
        "peer_numpy_lstsq": peer,
        "ratio_wall": round(flop["wall_s"] / peer["wall_s"], 2),
        "ratio_peak_rss": round(flop["peak_rss_mb"] / peer["peak_rss_mb"], 2),
        "targets": {"wall_s": 30, "peak_rss_mb": 1024},
        "command": f"python bench/trends_large.py --rows {args.rows}",
    }
    (args.out / "results.json").write_text(json.dumps(record, indent=2))
    for name in ("flopcast", "peer_numpy_lstsq"):
        r = record[name]
        print(f"{name:18s} wall {r['wall_s']:7.2f} s  peak RSS {r['peak_rss_mb']:7.1f} MB  exit {r['exit']}")
    print(
        f"ratio flopcast/peer: wall {record['ratio_wall']}x, peak RSS {record['ratio_peak_rss']}x "
        f"(targets: < 30 s, < 1024 MB; {os.cpu_count()} CPUs)"
    )
    if flop["exit"] != 0:
        print(flop["stderr_tail"], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
