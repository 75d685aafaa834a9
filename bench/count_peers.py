"""flopcast count vs its peers: fvcore, ptflops, thop, calflops, torchprofile and torch's FlopCounterMode.

Every peer counts the same models (``bench/count_models.py``) in one run, each peer x model in its
own subprocess (so that its peak RSS is its own). Reported, per model:

* count: the peer's forward count as a ratio to the analytic dense count (FLOP, 2 per multiply-add).
  Peers that report multiply-adds are converted honestly (x2): fvcore calls its MAC count "flops";
  ptflops (per sample: x batch size), thop and torchprofile return MACs; calflops returns both (its "flops" is used);
  FlopCounterMode and flopcast return FLOP.
* time: the counting call's wall time (best of ``--repeat``), as a ratio to flopcast's.
* memory: the subprocess's peak RSS (model build + counting), as a ratio to flopcast's.

A peer that raises shows ``error`` with the reason in the notes.

    python bench/count_peers.py                 # all models, all peers (~20 min on 2 busy cores)
    python bench/count_peers.py --models resnet50,lstm-lm --peers flopcast,torch --repeat 3
    python bench/count_peers.py --json bench/results/count_peers.json
    python bench/count_peers.py --interleaved 6       # flopcast vs FlopCounterMode time, alternated in-process
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from count_models import MODELS, build  # noqa: E402

# ----------------------------------------------------------------------------- peers (run inside the worker)


def _flopcast(model, args):
    from flopcast.count import count

    return count(model, args).forward_flop


def _torch(model, args):
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        model(*args)
    return fc.get_total_flops()


def _fvcore(model, args):
    from fvcore.nn import FlopCountAnalysis

    a = FlopCountAnalysis(model, args).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return 2 * a.total()  # fvcore's "flops" are multiply-adds


def _ptflops(model, args):
    from ptflops import get_model_complexity_info

    (x,) = args
    macs, _ = get_model_complexity_info(
        model,
        tuple(x.shape[1:]),
        input_constructor=lambda _: x,
        as_strings=False,
        print_per_layer_stat=False,
        verbose=False,
    )
    return 2 * macs * x.shape[0]  # ptflops returns MACs per sample (it divides by the batch size)


def _thop(model, args):
    from thop import profile

    macs, _ = profile(model, inputs=args, verbose=False)
    return 2 * macs  # thop returns MACs


def _calflops(model, args):
    from calflops import calculate_flops

    flops, _macs, _ = calculate_flops(
        model, args=list(args), print_results=False, print_detailed=False, output_as_string=False
    )
    return flops  # calflops' flops = 2 x its MACs


def _torchprofile(model, args):
    from torchprofile import profile_macs

    return 2 * profile_macs(model, args)  # torchprofile returns MACs


PEERS: dict[str, Callable[[Any, tuple], int]] = {
    "flopcast": _flopcast,
    "torch": _torch,
    "fvcore": _fvcore,
    "ptflops": _ptflops,
    "thop": _thop,
    "calflops": _calflops,
    "torchprofile": _torchprofile,
}
LABELS = {
    "flopcast": "flopcast",
    "torch": "FlopCounterMode",
    "fvcore": "fvcore",
    "ptflops": "ptflops",
    "thop": "thop",
    "calflops": "calflops",
    "torchprofile": "torchprofile",
}


def worker(model_name: str, peer: str, repeat: int) -> dict[str, Any]:
    import contextlib
    import io

    import torch

    torch.manual_seed(0)
    model, args = build(model_name)
    fn = PEERS[peer]
    times, value, error = [], None, None
    for _ in range(repeat):
        sink = io.StringIO()
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                with torch.no_grad():
                    value = fn(model, args)
                times.append(time.perf_counter() - t0)
        except Exception as exc:  # a peer's failure is a result
            msg = str(exc).strip().splitlines()
            error = f"{type(exc).__name__}: {msg[0][:160] if msg else ''}"
            break
    return {
        "model": model_name,
        "peer": peer,
        "flop": None if error else int(value),
        "seconds": min(times) if times and not error else None,
        "error": error,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def interleaved(model_name: str, rounds: int) -> dict[str, Any]:
    """flopcast vs FlopCounterMode vs no counter, alternated in one process: the fairest time ratio on a busy box."""
    import contextlib
    import io

    import torch

    model, args = build(model_name)

    def plain(m, a):
        return m(*a)

    fns = {"plain": plain, "flopcast": _flopcast, "torch": _torch}
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                fn(model, args)
                times[k].append(time.perf_counter() - t0)
    best = {k: min(v[1:] or v) for k, v in times.items()}  # the first round warms caches up
    return {
        "model": model_name,
        "rounds": rounds,
        "best_seconds": best,
        "flopcast_over_torch": best["flopcast"] / best["torch"],
    }


# ----------------------------------------------------------------------------- driver


def run_one(model_name: str, peer: str, repeat: int, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", model_name, peer, "--repeat", str(repeat)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {
            "model": model_name,
            "peer": peer,
            "flop": None,
            "seconds": None,
            "peak_rss_bytes": None,
            "error": f"timeout after {timeout:.0f} s",
        }
    for line in reversed(out.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
    return {
        "model": model_name,
        "peer": peer,
        "flop": None,
        "seconds": None,
        "peak_rss_bytes": None,
        "error": f"worker crashed (rc {out.returncode}): {tail[:160]}",
    }


def _ratio(a: float | None, b: float | None, digits: int = 2) -> str:
    if a is None or not b:
        return "n/a"
    return f"{a / b:.{digits}f}"


def tables(results: list[dict[str, Any]], refs: dict[str, int], models: list[str], peers: list[str]) -> str:
    by = {(r["model"], r["peer"]): r for r in results}
    head = "| model | analytic GFLOP | " + " | ".join(LABELS[p] for p in peers) + " |"
    rule = "|---|---:|" + "---:|" * len(peers)
    lines = ["### Forward count / analytic dense count (FLOP, 1 multiply-add = 2 FLOP)", "", head, rule]
    for m in models:
        cells = []
        for p in peers:
            r = by[m, p]
            cells.append("error" if r["error"] else _ratio(r["flop"], refs[m]))
        lines.append(f"| {m} | {refs[m] / 1e9:,.2f} | " + " | ".join(cells) + " |")
    for title, key, base_fmt in (
        ("Counting wall time, ratio to flopcast (flopcast's own in s)", "seconds", "{:.2f} s"),
        ("Peak RSS of the subprocess, ratio to flopcast (flopcast's own in MiB)", "peak_rss_bytes", None),
    ):
        lines += ["", f"### {title}", "", head.replace("analytic GFLOP", "flopcast"), rule]
        for m in models:
            base = by[m, "flopcast"].get(key) if (m, "flopcast") in by else None
            shown = "n/a" if base is None else (base_fmt.format(base) if base_fmt else f"{base / 2**20:,.0f} MiB")
            cells = []
            for p in peers:
                r = by[m, p]
                cells.append("n/a" if r["error"] else _ratio(r.get(key), base))
            lines.append(f"| {m} | {shown} | " + " | ".join(cells) + " |")
    errors = [r for r in results if r["error"]]
    if errors:
        lines += ["", "### Errors", ""]
        lines += [f"- {LABELS[r['peer']]} on {r['model']}: {r['error']}" for r in errors]
    return "\n".join(lines)


def timing_table(models: list[str], rounds: int, timeout: float) -> int:
    print(
        f"### Counting time, flopcast vs FlopCounterMode, alternated in one process (best of {rounds - 1} "
        "warm rounds)\n"
    )
    print("| model | no counter (s) | FlopCounterMode (s) | flopcast (s) | flopcast / FlopCounterMode |")
    print("|---|---:|---:|---:|---:|")
    for m in models:
        cmd = [sys.executable, __file__, "--interleaved-worker", m, "--interleaved", str(rounds)]
        out = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1"),
        )
        line = next((x for x in reversed(out.stdout.splitlines()) if x.startswith("{")), None)
        if line is None:
            print(f"| {m} | error: {(out.stderr.strip().splitlines() or ['no output'])[-1][:120]} | | | |")
            continue
        b = json.loads(line)["best_seconds"]
        print(
            f"| {m} | {b['plain']:.3f} | {b['torch']:.3f} | {b['flopcast']:.3f} | {b['flopcast'] / b['torch']:.2f} |",
            flush=True,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated: " + ", ".join(PEERS))
    ap.add_argument("--repeat", type=int, default=2, help="counting calls per subprocess; the best time is kept")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per peer x model subprocess")
    ap.add_argument("--json", type=Path, help="also write the raw results here (bench/results/ is git-ignored)")
    ap.add_argument(
        "--log",
        type=Path,
        default=HERE / "results" / "count_peers.jsonl",
        help="each result is appended here as it completes (JSON lines)",
    )
    ap.add_argument("--from-log", action="store_true", help="render the tables from --log without running anything")
    ap.add_argument(
        "--interleaved",
        type=int,
        metavar="ROUNDS",
        default=0,
        help="instead: time flopcast, FlopCounterMode and no counter alternately, ROUNDS rounds per model",
    )
    ap.add_argument("--worker", nargs=2, metavar=("MODEL", "PEER"), help=argparse.SUPPRESS)
    ap.add_argument("--interleaved-worker", metavar="MODEL", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(a.worker[0], a.worker[1], a.repeat)))
        return 0
    if a.interleaved_worker:
        print(json.dumps(interleaved(a.interleaved_worker, a.interleaved)))
        return 0
    models = [m for m in a.models.split(",") if m]
    peers = [p for p in a.peers.split(",") if p]
    unknown = [m for m in models if m not in MODELS] + [p for p in peers if p not in PEERS]
    if unknown:
        ap.error(f"unknown model/peer: {', '.join(unknown)}")
    if a.interleaved:
        return timing_table(models, a.interleaved, a.timeout)
    if "flopcast" not in peers:
        peers.insert(0, "flopcast")
    refs = {m: MODELS[m].reference() for m in models}
    results = []
    if a.from_log:
        logged = {}
        for line in a.log.read_text().splitlines():
            r = json.loads(line)
            logged[r["model"], r["peer"]] = r
        models = [m for m in models if all((m, p) in logged for p in peers)]
        results = [logged[m, p] for m in models for p in peers]
    else:
        a.log.parent.mkdir(parents=True, exist_ok=True)
        for m in models:
            for p in peers:
                r = run_one(m, p, a.repeat, a.timeout)
                results.append(r)
                with a.log.open("a") as fh:
                    fh.write(json.dumps(r) + "\n")
                status = r["error"] or f"{_ratio(r['flop'], refs[m], 3)} x analytic in {r['seconds']:.2f} s"
                print(f"[{m} / {p}] {status}", file=sys.stderr, flush=True)
    import torch

    print(
        f"## flopcast count vs peers (torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, best of {a.repeat})\n"
    )
    print("Models: " + "; ".join(f"**{m}**: {MODELS[m].description}" for m in models) + "\n")
    print(tables(results, refs, models, peers))
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"references": refs, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
