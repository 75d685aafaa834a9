"""The terminal rendering of a :class:`flopcast.count.CountResult` (``flopcast count``): the headline table,
memory, the module tree, FLOP by operator, and what is uncounted. Pure formatting: every figure comes from the
result."""

from __future__ import annotations

from typing import Any


def _rows(r: Any):
    from flopcast.units import si

    def flop(v):
        return "n/a" if v is None else f"{si(v, 'FLOP')}  ({v:.4g})"

    yield ("parameters", f"{si(r.params)}  ({r.params:,})")
    yield ("trainable / non-embedding", f"{si(r.trainable_params)} / {si(r.non_embedding_params)}")
    incomplete = "  [yellow]INCOMPLETE[/]" if r.incomplete else ""
    yield ("forward FLOP (matmul-class)", flop(r.forward_flop) + incomplete)
    yield ("forward MAC", f"{si(r.forward_mac, 'MAC')}")
    yield ("forward FLOP, all ops", flop(r.forward_flop_all))
    if r.mode == "train":
        yield ("backward FLOP", flop(r.backward_flop) + incomplete)
        yield ("backward / forward", f"{r.backward_forward_ratio:.3f}" if r.backward_forward_ratio else "n/a")
        if r.recompute_flop:
            yield ("recompute FLOP (checkpointing)", flop(r.recompute_flop))
        if r.optimizer_flop is not None:
            yield (f"optimizer step FLOP ({r.optimizer})", flop(r.optimizer_flop))
        yield ("train step FLOP", flop(r.train_step_flop))


def _tree(r: Any, depth: int) -> Any:
    from rich.tree import Tree

    from flopcast.units import si

    rows = r.module_tree(depth)
    total = r.forward_flop or 1

    def label(name, row):
        text = f"[bold]{name.rsplit('.', 1)[-1] or r.model}[/] [dim]{row['type']}[/]  {si(row['forward_flop'], 'FLOP')}"
        text += f" [dim]({100 * row['forward_flop'] / total:.1f}%)[/]"
        if "backward_flop" in row:
            text += f"  bwd {si(row['backward_flop'], 'FLOP')}"
        if row.get("recompute_flop"):
            text += f"  recompute {si(row['recompute_flop'], 'FLOP')}"
        if row.get("uncounted_ops"):
            text += f"  [yellow]uncounted: {', '.join(row['uncounted_ops'])}[/]"
        return text

    nodes = {}
    root = None
    for name, row in rows.items():
        if name == "":
            root = nodes[""] = Tree(label(name, row))
            continue
        parent = name.rsplit(".", 1)[0] if "." in name else ""
        while parent not in nodes and parent:
            parent = parent.rsplit(".", 1)[0] if "." in parent else ""
        nodes[name] = nodes[parent].add(label(name, row)) if parent in nodes else Tree(label(name, row))
    return root


def render_count(r: Any, depth: int) -> None:
    from flopcast.report.console import stdout, table
    from flopcast.units import human_bytes, si

    stdout.print(
        table(f"{r.model}: {r.mode} pass, {r.dtype} on {r.device}", ["quantity", "value"], _rows(r), right_align_from=1)
    )
    if r.incomplete:
        stdout.print(
            "[yellow]INCOMPLETE: the FLOP above are a lower bound; no formula for the matmul-class "
            + ", ".join(f"{k} x{v}" for k, v in r.uncounted_matmul_ops.items())
            + "[/]",
            soft_wrap=True,
        )
    mem = [(k, human_bytes(v)) for k, v in r.memory_bytes.items()]
    stdout.print(table("memory", ["part", "bytes"], mem, right_align_from=1))
    if r.mode == "train":
        rule = next((a.value for a in r.assumptions if a.name == "optimizer_state"), "")
        stdout.print(f"[dim]activations: tensors autograd saves for backward (measured); optimizer state: {rule}[/]")
    else:
        stdout.print(
            "[dim]activations: what a training forward saves for backward (measured); "
            "forward mode has no gradients or optimizer state[/]"
        )
    tree = _tree(r, depth)
    if tree is not None:
        stdout.print(tree)
    ops = list(r.by_operator().items())[:10]
    if ops:
        total = r.forward_flop or 1
        stdout.print(
            table(
                "forward FLOP by operator",
                ["operator", "FLOP", "share"],
                [(o, si(v, "FLOP"), f"{100 * v / total:.1f}%") for o, v in ops],
            )
        )
    if r.uncounted_ops:
        stdout.print(
            "[yellow]uncounted ops (no formula; their FLOPs are NOT in the totals):[/] "
            + ", ".join(f"{k} x{v}" for k, v in r.uncounted_ops.items())
        )
    stdout.print("[dim]" + next(a.value for a in r.assumptions if a.name == "flop_convention") + "[/]")
