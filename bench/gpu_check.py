"""One prepared GPU check (issue 15): a bf16 training loop tracked by flopcast on an NVIDIA GPU.

1. Counts the loop's train step with ``flopcast.count`` on meta and on the GPU (the two must agree).
2. Trains it for ``--seconds`` under ``flopcast.track`` (library path) while ``nvidia-smi`` samples power
   every 100 ms in the background, and reads NVML's total-energy counter before and after.
3. Runs the same loop as a child under ``flopcast track --json -- python bench/gpu_check.py --child``
   (the CLI path, sampling the process tree).
4. Writes ``gpu_check.json``: flopcast's GPU energy against the counter delta and against the integral of
   nvidia-smi's power samples, flopcast's MFU against the one timed here with CUDA events and the
   catalogue's dense bf16 peak, and the TDP-based figure flopcast would give without telemetry.

Run (on a GPU machine):  python bench/gpu_check.py --out DIR [--seconds 20]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

WIDTH, DEPTH, BATCH = 8192, 8, 8192


def build(device: str):
    import torch
    from torch import nn

    layers = []
    for _ in range(DEPTH):
        layers += [nn.Linear(WIDTH, WIDTH, bias=False), nn.ReLU()]
    return nn.Sequential(*layers).to(device=device, dtype=torch.bfloat16)


def train_step_flop(device: str) -> int:
    import torch

    from flopcast import count

    model = build(device)
    x = torch.randn(BATCH, WIDTH, device=device, dtype=torch.bfloat16)
    return int(count(model, x, mode="train").train_step_flop)


def loop(seconds: float, run=None) -> dict:
    """Train for ``seconds``; returns steps and the CUDA-event time of the steps (synchronised every 10)."""
    import torch

    torch.manual_seed(0)
    model = build("cuda")
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    x = torch.randn(BATCH, WIDTH, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):  # warm-up: cuBLAS heuristics and allocator
        model(x).float().pow(2).mean().backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    t0, steps = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        for _ in range(10):
            loss = model(x).float().pow(2).mean()
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        steps += 10
        if run is not None:
            run.step(10)
    stop.record()
    torch.cuda.synchronize()
    return {"steps": steps, "cuda_seconds": start.elapsed_time(stop) / 1e3, "wall_seconds": time.perf_counter() - t0}


class PowerLog:
    """nvidia-smi power.draw every 100 ms in a background process; the integral over a window in joules."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float]] = []
        self.proc = subprocess.Popen(
            ["nvidia-smi", "--query-gpu=power.draw", "--format=csv,noheader,nounits", "-lms", "100"],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.rows.append((time.time(), float(line.strip())))
            except ValueError:
                continue

    def joules(self, t0: float, t1: float) -> tuple[float, int]:
        pts = [(t, w) for t, w in self.rows if t0 <= t <= t1]
        total = sum((b[0] - a[0]) * (a[1] + b[1]) / 2 for a, b in itertools.pairwise(pts))
        return total, len(pts)

    def close(self) -> None:
        self.proc.terminate()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("gpu_check_out"))
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--child", action="store_true", help="the loop alone (for `flopcast track -- ...`)")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(loop(args.seconds)), file=sys.stderr)
        return
    import pynvml

    from flopcast.hardware import get_accelerator
    from flopcast.measure import track

    args.out.mkdir(parents=True, exist_ok=True)
    out: dict = {"counts": {"meta": train_step_flop("meta"), "cuda": train_step_flop("cuda")}}
    flop = out["counts"]["meta"]
    # forward 2·B·in·out per Linear; backward twice that, but the first layer's input needs no gradient
    hand = (3 * DEPTH - 1) * 2 * BATCH * WIDTH * WIDTH
    out["counts"]["hand_count"] = hand
    pynvml.nvmlInit()
    handle = pynvml.nvmlDeviceGetHandleByIndex(0)
    out["gpu"] = pynvml.nvmlDeviceGetName(handle)
    peak = get_accelerator("H200 SXM").peak("bf16")
    power = PowerLog()
    time.sleep(1.0)
    e0, t0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle), time.time()
    with track(
        flop_per_step=flop,
        hardware="H200 SXM",
        chips=1,
        ledger=str(args.out / "ledger.db"),
        interval=0.5,
        name="gpu-check",
    ) as run:
        timing = loop(args.seconds, run)
    e1, t1 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle), time.time()
    rec = run.result.to_dict()
    smi_j, smi_n = power.joules(t0, t1)
    out["library"] = {
        "record": {
            k: rec.get(k)
            for k in (
                "wall_seconds",
                "active_seconds",
                "steps",
                "it_energy_kwh",
                "energy_kwh",
                "energy_source",
                "components",
                "achieved_flop_per_s",
                "mfu",
                "peak_flop_per_s_per_chip",
                "samples",
                "errors",
            )
        },
        "timing": timing,
        "nvml_counter_kwh": (e1 - e0) / 1e3 / 3.6e6,
        "nvml_window_seconds": t1 - t0,
        "nvidia_smi_kwh": smi_j / 3.6e6,
        "nvidia_smi_samples": smi_n,
        "mfu_cuda_events": flop * timing["steps"] / timing["cuda_seconds"] / peak,
        "catalogue_bf16_peak": peak,
    }
    gpu = (rec.get("components") or {}).get("gpu") or {}
    joules = gpu.get("energy_joules")
    out["library"]["flopcast_gpu_kwh"] = None if joules is None else joules / 3.6e6
    out["library"]["flopcast_gpu_backend"] = gpu.get("backend")
    env = dict(os.environ, FLOPCAST_LEDGER=str(args.out / "ledger.db"))
    t2 = time.time()
    e2 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "flopcast",
            "track",
            "--json",
            "--hardware",
            "H200 SXM",
            "--flop-per-step",
            str(flop),
            "--",
            sys.executable,
            __file__,
            "--child",
            "--seconds",
            str(args.seconds),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    e3, t3 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle), time.time()
    smi_j2, smi_n2 = power.joules(t2, t3)
    power.close()
    out["cli"] = {
        "exit_code": cli.returncode,
        "stderr_tail": cli.stderr[-1500:],
        "nvml_counter_kwh": (e3 - e2) / 1e3 / 3.6e6,
        "nvidia_smi_kwh": smi_j2 / 3.6e6,
        "nvidia_smi_samples": smi_n2,
    }
    try:
        out["cli"]["record"] = json.loads(cli.stdout)
    except json.JSONDecodeError:
        out["cli"]["stdout_tail"] = cli.stdout[-1500:]
    (args.out / "gpu_check.json").write_text(json.dumps(out, indent=2, default=str))
    print(json.dumps({k: out[k] for k in ("gpu", "counts")}, indent=1))
    lib = out["library"]
    print(
        f"library: flopcast GPU {lib['flopcast_gpu_kwh']} kWh, NVML counter {lib['nvml_counter_kwh']:.6g} kWh, "
        f"nvidia-smi {lib['nvidia_smi_kwh']:.6g} kWh; MFU flopcast {lib['record']['mfu']}, "
        f"CUDA events {lib['mfu_cuda_events']:.4f}"
    )
    print(
        f"cli: exit {cli.returncode}; NVML counter {out['cli']['nvml_counter_kwh']:.6g} kWh, nvidia-smi "
        f"{out['cli']['nvidia_smi_kwh']:.6g} kWh"
    )


if __name__ == "__main__":
    main()
