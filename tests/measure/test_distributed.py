"""Launcher detection and job aggregation (one record per node, summed once)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flopcast.measure.distributed import aggregate_job, detect, node_visible_gpus


def test_single_process():
    ctx = detect({})
    assert ctx.launcher == "none" and ctx.is_sampler and not ctx.distributed and ctx.job_id is None


def test_torchrun_env():
    env = {
        "RANK": "5",
        "LOCAL_RANK": "1",
        "WORLD_SIZE": "8",
        "LOCAL_WORLD_SIZE": "4",
        "GROUP_RANK": "1",
        "TORCHELASTIC_RUN_ID": "none",
        "MASTER_ADDR": "node0",
        "MASTER_PORT": "29500",
    }
    ctx = detect(env)
    assert (ctx.launcher, ctx.rank, ctx.local_rank, ctx.world_size, ctx.node_rank) == ("torchrun", 5, 1, 8, 1)
    assert not ctx.is_sampler
    assert ctx.job_id == "torchrun-node0:29500"  # the rendezvous endpoint every node shares
    no_group = dict(env, TORCHELASTIC_RUN_ID="abc")
    del no_group["GROUP_RANK"]
    assert detect(no_group).node_rank == 1 and detect(no_group).job_id == "torchrun-abc"


def test_slurm_env_and_node_gpus():
    env = {
        "SLURM_JOB_ID": "777",
        "SLURM_STEP_ID": "2",
        "SLURM_PROCID": "4",
        "SLURM_LOCALID": "0",
        "SLURM_NODEID": "1",
        "SLURM_NTASKS": "8",
        "SLURM_STEP_GPUS": "0,1,2,3",
        "CUDA_VISIBLE_DEVICES": "0",
    }
    ctx = detect(env)
    assert (ctx.launcher, ctx.node_rank, ctx.is_sampler, ctx.job_id) == ("slurm", 1, True, "slurm-777.2")
    # a task may see one GPU; the node's sampler reads the node's whole allocation
    assert node_visible_gpus(ctx, env) == "0,1,2,3"
    assert node_visible_gpus(detect({}), {"CUDA_VISIBLE_DEVICES": "1"}) == "1"


def node(n, **kw):
    base = {
        "job_id": "j",
        "run_id": f"r{n}",
        "distributed": {"node_rank": n},
        "cpu_seconds": 10.0,
        "chip_hours": 2.0,
        "chips": 4,
        "it_energy_kwh": 1.0,
        "energy_kwh": 1.5,
        "co2e_kg": 0.6,
        "cost_usd": 8.0,
        "wall_seconds": 1800.0 + n,
        "active_seconds": 1790.0,
        "steps": 1000,
        "flop_per_step": 1e15,
        "peak_flop_per_s_per_chip": 1e15,
    }
    base.update(kw)
    return base


def test_aggregate_sums_resources_and_maxes_time_and_steps():
    job = aggregate_job([node(0), node(1, steps=999)])
    assert job["nodes"] == 2 and job["chips"] == 8
    assert job["energy_kwh"] == 3.0 and job["co2e_kg"] == pytest.approx(1.2) and job["cost_usd"] == 16.0
    assert job["wall_seconds"] == 1801.0 and job["steps"] == 1000
    assert job["achieved_flop_per_s"] == pytest.approx(1000 * 1e15 / 1790.0)
    assert job["mfu"] == pytest.approx(job["achieved_flop_per_s"] / (8 * 1e15))


def test_aggregate_refuses_double_counting_and_partial_sums():
    with pytest.raises(ValueError, match="double count"):
        aggregate_job([node(0), node(0)])
    job = aggregate_job([node(0), node(1, energy_kwh=None)])
    assert job["energy_kwh"] is None and job["missing"]["energy_kwh"] == [1]
    with pytest.raises(ValueError):
        aggregate_job([])


@given(
    st.lists(
        st.tuples(st.floats(0, 1e3), st.floats(1, 1e5), st.integers(0, 10**6), st.integers(1, 8)),
        min_size=1,
        max_size=8,
    )
)
def test_aggregate_is_sum_over_nodes_and_max_of_time_and_steps(nodes):
    recs = [node(i, energy_kwh=e, wall_seconds=w, steps=s, chips=c) for i, (e, w, s, c) in enumerate(nodes)]
    job = aggregate_job(recs)
    assert job["energy_kwh"] == pytest.approx(sum(e for e, *_ in nodes))
    assert job["chips"] == sum(c for *_, c in nodes)
    assert job["wall_seconds"] == max(w for _, w, *_ in nodes)
    assert job["steps"] == max(s for _, _, s, _ in nodes)
    assert job["nodes"] == len(nodes) and job["missing"] == {}
