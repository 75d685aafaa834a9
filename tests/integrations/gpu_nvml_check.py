"""One-off GPU check (not collected by pytest): a bf16 Hugging Face Trainer run on one NVIDIA GPU tracked by
``flopcast.integrations.HFCallback`` with no FLOP figure given, its energy compared with NVML's total-energy
counter (``nvmlDeviceGetTotalEnergyConsumption``) and with ``nvidia-smi``'s power readings integrated over the
run, and its MFU against the catalogue's peak.

    PYTHONPATH=src python3 tests/integrations/gpu_nvml_check.py OUT_DIR
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from pathlib import Path


def smi_power_sampler(stop: threading.Event, readings: list[tuple[float, float]]) -> None:
    """``nvidia-smi --query-gpu=power.draw`` every ~0.2 s (W), with a monotonic timestamp."""
    while not stop.is_set():
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=power.draw", "--format=csv,noheader,nounits", "-i", "0"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
            readings.append((time.monotonic(), float(out.splitlines()[0])))
        except Exception:  # a diagnostic script: a missed reading is just missed
            pass
        stop.wait(0.2)


def trapezoid_joules(readings: list[tuple[float, float]]) -> float:
    return sum((t1 - t0) * (p0 + p1) / 2 for (t0, p0), (t1, p1) in itertools.pairwise(readings))


def main(out: Path) -> None:
    import pynvml
    import torch
    import transformers

    import flopcast

    out.mkdir(parents=True, exist_ok=True)
    pynvml.nvmlInit()
    handle = pynvml.nvmlDeviceGetHandleByIndex(0)
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(
        n_layer=6, n_embd=768, n_head=12, vocab_size=8192, n_positions=512, bos_token_id=0, eos_token_id=0
    )
    model = transformers.GPT2LMHeadModel(cfg)
    data = [{"input_ids": (ids := torch.randint(0, 8192, (512,))), "labels": ids.clone()} for _ in range(32 * 40)]
    args = transformers.TrainingArguments(
        output_dir=str(out / "hf"),
        report_to=[],
        max_steps=300,
        per_device_train_batch_size=32,
        bf16=True,
        logging_steps=10,
        save_strategy="no",
        disable_tqdm=True,
        dataloader_num_workers=2,
        seed=0,
    )
    cb = flopcast.integrations.HFCallback(ledger=out / "runs.sqlite", interval=0.5, precision="bf16", name="gpu-check")
    trainer = transformers.Trainer(model=model, args=args, train_dataset=data, callbacks=[cb])
    readings: list[tuple[float, float]] = []
    stop = threading.Event()
    smi = threading.Thread(target=smi_power_sampler, args=(stop, readings), daemon=True)
    smi.start()
    e0, t0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle), time.monotonic()
    trainer.train()
    e1, t1 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle), time.monotonic()
    stop.set()
    smi.join(timeout=10)
    rec = cb.run.result
    gpu = dict(rec.components.get("gpu", {}))
    summary = {
        "gpu": pynvml.nvmlDeviceGetName(handle),
        "wall_seconds_outside": t1 - t0,
        "record_wall_seconds": rec.wall_seconds,
        "nvml_total_energy_delta_joules": (e1 - e0) / 1000.0,
        "nvidia_smi_integrated_joules": trapezoid_joules([r for r in readings if t0 <= r[0] <= t1]),
        "nvidia_smi_readings": len(readings),
        "flopcast_gpu_energy_joules": gpu.get("energy_joules"),
        "flopcast_gpu_backend": gpu.get("backend"),
        "flopcast_gpu_basis": gpu.get("basis"),
        "flopcast_energy_kwh": rec.energy_kwh,
        "hardware": rec.hardware,
        "peak_flop_per_s_per_chip": rec.peak_flop_per_s_per_chip,
        "flop_per_step": rec.flop_per_step,
        "flop_per_step_source": rec.flop_per_step_source,
        "trainer_total_flos": trainer.state.total_flos,
        "steps": rec.steps,
        "achieved_flop_per_s": rec.achieved_flop_per_s,
        "mfu": rec.mfu,
        "tokens_seen": rec.tokens_seen,
        "model_params": rec.model_params,
        "final_loss": rec.final_loss,
        "errors": list(rec.errors),
        "logged_figures": {k: v for k, v in trainer.state.log_history[-1].items() if k.startswith("flopcast/")},
    }
    (out / "gpu_check.json").write_text(json.dumps(summary, indent=1, default=str))
    (out / "record.json").write_text(json.dumps(rec.to_dict(), indent=1, default=str))
    print(json.dumps(summary, indent=1, default=str))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "gpu_check_out"))
