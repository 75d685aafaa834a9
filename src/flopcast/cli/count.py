"""`flopcast count MODEL`: FLOPs, MACs, parameters and memory of one network pass."""

from __future__ import annotations

import typer

from flopcast.errors import InputError, ModelError

_HELP = (
    "FLOPs (matmul-class, 1 multiply-add = 2 FLOP), MACs, parameters and memory of one pass.\n\n"
    "MODEL is a bundled preset (gpt2, bert-base-uncased, llama-2-7b, ...), a Hugging Face config.json, or a "
    "factory (package.module:fn or path/to/file.py:fn). Models are built on the meta device by default: "
    "no weights, no memory.\n\n"
    "Example: flopcast count gpt2 --batch 8 --seq-len 1024 --mode train --optimizer adam"
)


def parse_shape(text: str) -> tuple[int, ...]:
    """``"1,3,224,224"`` -> ``(1, 3, 224, 224)``; positive integers only."""
    parts = [p.strip() for p in text.split(",")]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if not shape or any(n <= 0 for n in shape):
        raise InputError(f"--input-shape {text!r} is not a list of positive integers; e.g. --input-shape 1,3,224,224")
    return shape


def _rows(r):
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


def _tree(r, depth: int):
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


def _render(r, depth: int) -> None:
    from flopcast.report.console import stdout, table
    from flopcast.units import human_bytes, si

    stdout.print(table(f"{r.model}: {r.mode} pass, {r.dtype} on {r.device}", ["quantity", "value"], _rows(r),
                       right_align_from=1))
    if r.incomplete:
        stdout.print("[yellow]INCOMPLETE: the FLOP above are a lower bound; no formula for the matmul-class "
                     + ", ".join(f"{k} x{v}" for k, v in r.uncounted_matmul_ops.items()) + "[/]", soft_wrap=True)
    mem = [(k, human_bytes(v)) for k, v in r.memory_bytes.items()]
    stdout.print(table("memory", ["part", "bytes"], mem, right_align_from=1))
    if r.mode == "train":
        rule = next((a.value for a in r.assumptions if a.name == "optimizer_state"), "")
        stdout.print(f"[dim]activations: tensors autograd saves for backward (measured); optimizer state: {rule}[/]")
    else:
        stdout.print("[dim]activations: what a training forward saves for backward (measured); "
                     "forward mode has no gradients or optimizer state[/]")
    tree = _tree(r, depth)
    if tree is not None:
        stdout.print(tree)
    ops = list(r.by_operator().items())[:10]
    if ops:
        total = r.forward_flop or 1
        stdout.print(table("forward FLOP by operator", ["operator", "FLOP", "share"],
                           [(o, si(v, "FLOP"), f"{100 * v / total:.1f}%") for o, v in ops]))
    if r.uncounted_ops:
        stdout.print("[yellow]uncounted ops (no formula; their FLOPs are NOT in the totals):[/] "
                     + ", ".join(f"{k} x{v}" for k, v in r.uncounted_ops.items()))
    stdout.print("[dim]" + next(a.value for a in r.assumptions if a.name == "flop_convention") + "[/]")


def register(app: typer.Typer) -> None:
    @app.command("count", help=_HELP)
    def count_cmd(
        model: str = typer.Argument(..., help="Preset name, config.json path, or module:factory."),
        input_shape: str = typer.Option(None, "--input-shape", help="Input tensor shape, e.g. 1,3,224,224."),
        batch: int = typer.Option(1, "--batch", min=1, help="Batch size (sequences or images)."),
        seq_len: int = typer.Option(None, "--seq-len", min=1, help="Sequence length (token models)."),
        mode: str = typer.Option("forward", "--mode", help="forward, or train (forward + backward [+ optimizer])."),
        dtype: str = typer.Option("fp32", "--dtype", help="fp32, bf16 or fp16 (parameters, activations)."),
        depth: int = typer.Option(2, "--depth", min=0, help="Depth of the module tree."),
        attention: str = typer.Option(None, "--attention",
                                      help="Hugging Face attention: eager or sdpa (default: sdpa if the model has it)"),
        optimizer: str = typer.Option(None, "--optimizer", help="adam or sgd: count its step and state (train)."),
        device: str = typer.Option("meta", "--device", help="meta (no memory) or cpu (real tensors, e.g. MoE)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ) -> None:
        from flopcast.count import require
        from flopcast.report.jsonout import dumps

        require("torch", "flopcast count")
        from flopcast.count import count, load_model

        if mode not in ("forward", "train"):
            raise InputError(f"--mode {mode!r}: use forward or train")
        if dtype.lower() not in ("fp32", "bf16", "fp16"):
            raise InputError(f"--dtype {dtype!r}: use fp32, bf16 or fp16")
        if attention is not None and attention not in ("eager", "sdpa"):
            raise InputError(f"--attention {attention!r}: use eager or sdpa")
        if optimizer is not None and mode != "train":
            raise InputError("--optimizer needs --mode train")
        if input_shape is not None and seq_len is not None:
            raise InputError("give either --input-shape or --seq-len, not both")
        shape = parse_shape(input_shape) if input_shape is not None else None
        extra = {"attn_implementation": attention} if attention is not None else {}
        loaded = load_model(model, batch=batch, seq_len=seq_len, input_shape=shape, dtype=dtype.lower(),
                            device=device, **extra)
        try:
            result = count(loaded.model, loaded.inputs, mode=mode, optimizer=optimizer, depth=depth,
                           name=loaded.name, dtype=dtype.lower())
        except ModelError as exc:
            if "--device cpu" in str(exc):  # the fix is already named
                raise
            raise ModelError(f"{exc} (check --input-shape, --batch, --seq-len)") from exc
        if as_json:
            typer.echo(dumps(result))
        else:
            _render(result, depth)
