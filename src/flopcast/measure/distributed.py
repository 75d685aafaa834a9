"""Distributed jobs: who samples (one process per node) and how node records add up to one job.

Under torchrun/torch.distributed (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``GROUP_RANK``,
``TORCHELASTIC_RUN_ID``) or SLURM (``SLURM_JOB_ID``, ``SLURM_PROCID``, ``SLURM_LOCALID``,
``SLURM_NODEID``) only local rank 0 samples its node; its ledger row carries the job id shared by all
nodes and the node's rank. :func:`aggregate_job` adds node rows into one job record: energy, CPU
time, chip-hours, cost and CO2e are summed over nodes (each node measured once), wall time and steps
(global steps, the same on every node) are the maximum, never the sum.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in a distributed job (``launcher='none'`` for a single process)."""

    launcher: str
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    node_rank: int = 0
    job_id: str | None = None

    @property
    def is_sampler(self) -> bool:
        """True for the one process per node that samples (local rank 0)."""
        return self.local_rank == 0

    @property
    def distributed(self) -> bool:
        return self.launcher != "none"

    def to_dict(self) -> dict[str, Any]:
        return {
            "launcher": self.launcher,
            "rank": self.rank,
            "local_rank": self.local_rank,
            "world_size": self.world_size,
            "node_rank": self.node_rank,
            "job_id": self.job_id,
        }


def _int(env: Mapping[str, str], *names: str, default: int = 0) -> int:
    for n in names:
        v = env.get(n)
        if v is not None and v.strip().lstrip("-").isdigit():
            return int(v)
    return default


def detect(env: Mapping[str, str] | None = None) -> DistContext:
    """Read the launcher's environment variables (torchrun first, then SLURM)."""
    env = os.environ if env is None else env
    if "LOCAL_RANK" in env and ("RANK" in env or "WORLD_SIZE" in env):
        run_id = env.get("TORCHELASTIC_RUN_ID", "none")
        if run_id in ("", "none"):
            # torchrun's default rdzv id; the master endpoint is what all nodes share
            run_id = f"{env.get('MASTER_ADDR', 'localhost')}:{env.get('MASTER_PORT', '0')}"
        if env.get("SLURM_JOB_ID"):
            run_id = f"slurm-{env['SLURM_JOB_ID']}/{run_id}"
        local_world = _int(env, "LOCAL_WORLD_SIZE", default=1) or 1
        node = _int(env, "GROUP_RANK", default=_int(env, "RANK") // local_world)
        return DistContext(
            "torchrun",
            _int(env, "RANK"),
            _int(env, "LOCAL_RANK"),
            _int(env, "WORLD_SIZE", default=1),
            node,
            f"torchrun-{run_id}",
        )
    if env.get("SLURM_JOB_ID") and "SLURM_PROCID" in env:
        step = env.get("SLURM_STEP_ID", "0")
        return DistContext(
            "slurm",
            _int(env, "SLURM_PROCID"),
            _int(env, "SLURM_LOCALID"),
            _int(env, "SLURM_NTASKS", default=1),
            _int(env, "SLURM_NODEID"),
            f"slurm-{env['SLURM_JOB_ID']}.{step}",
        )
    return DistContext("none")


def node_visible_gpus(ctx: DistContext, env: Mapping[str, str] | None = None) -> str | None:
    """The ``CUDA_VISIBLE_DEVICES``-style list a node sampler should read: the node's GPUs for the job.

    Under SLURM a task may see only its own GPU, so the node's allocation (``SLURM_STEP_GPUS`` or
    ``SLURM_JOB_GPUS``) is used when present; otherwise the process's own visibility.
    """
    env = os.environ if env is None else env
    if ctx.launcher == "slurm" or env.get("SLURM_JOB_ID"):
        for name in ("SLURM_STEP_GPUS", "SLURM_JOB_GPUS"):
            if env.get(name):
                return env[name]
    return env.get("CUDA_VISIBLE_DEVICES")


JOB_SCHEMA = "flopcast.job/1"
_SUMMED = ("cpu_seconds", "chip_hours", "it_energy_kwh", "energy_kwh", "co2e_kg", "cost_usd", "chips")


def aggregate_job(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One job record from its node records (each the ``record`` dict a node's run wrote).

    Sums per-node resources; takes the maximum of wall time and of (global) steps; a figure any
    node lacks is ``None`` for the job (never a partial sum passed off as the total) with the
    missing nodes listed.
    """
    if not records:
        raise ValueError("no node records to aggregate")
    by_node: dict[int, Mapping[str, Any]] = {}
    for r in records:
        node = int((r.get("distributed") or {}).get("node_rank", 0))
        if node in by_node:
            raise ValueError(f"two sampler records for node {node}: would double count")
        by_node[node] = r
    out: dict[str, Any] = {
        "schema": JOB_SCHEMA,
        "job_id": records[0].get("job_id"),
        "nodes": len(by_node),
        "run_ids": [by_node[n].get("run_id") for n in sorted(by_node)],
    }
    missing: dict[str, list[int]] = {}
    for key in _SUMMED:
        vals = {n: r.get(key) for n, r in by_node.items()}
        lacking = sorted(n for n, v in vals.items() if v is None)
        if lacking:
            missing[key] = lacking
            out[key] = None
        else:
            out[key] = float(sum(v for v in vals.values() if v is not None))
    out["wall_seconds"] = max(float(r.get("wall_seconds") or 0.0) for r in by_node.values())
    out["steps"] = max(int(r.get("steps") or 0) for r in by_node.values())
    fps = records[0].get("flop_per_step")
    peak = records[0].get("peak_flop_per_s_per_chip")
    active = max(float(r.get("active_seconds") or 0.0) for r in by_node.values())
    out["flop_per_step"] = fps
    out["achieved_flop_per_s"] = fps * out["steps"] / active if fps and active > 0 else None
    chips = out.get("chips")
    out["mfu"] = out["achieved_flop_per_s"] / (chips * peak) if out["achieved_flop_per_s"] and chips and peak else None
    out["missing"] = missing
    return out
