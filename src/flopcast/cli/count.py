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


def _either(names: tuple[str, ...]) -> str:
    """``("fp32", "bf16", "fp16")`` -> ``"fp32, bf16 or fp16"``."""
    return ", ".join(names[:-1]) + " or " + names[-1]


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
        attention: str = typer.Option(
            None,
            "--attention",
            "--attn-implementation",
            help="Hugging Face attention: eager or sdpa (default: sdpa if the model has it)",
        ),
        optimizer: str = typer.Option(None, "--optimizer", help="adam or sgd: count its step and state (train)."),
        device: str = typer.Option("meta", "--device", help="meta (no memory) or cpu (real tensors, e.g. MoE)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ) -> None:
        from flopcast.count import require
        from flopcast.report.jsonout import dumps

        require("torch", "flopcast count")
        from flopcast.count import ATTENTIONS, DTYPES, MODES, count, load_model

        if mode not in MODES:
            raise InputError(f"--mode {mode!r}: use {_either(MODES)}")
        if dtype.lower() not in DTYPES:
            raise InputError(f"--dtype {dtype!r}: use {_either(DTYPES)}")
        if attention is not None and attention not in ATTENTIONS:
            raise InputError(f"--attention {attention!r}: use {_either(ATTENTIONS)}")
        if optimizer is not None and mode != "train":
            raise InputError("--optimizer needs --mode train")
        if input_shape is not None and seq_len is not None:
            raise InputError("give either --input-shape or --seq-len, not both")
        shape = parse_shape(input_shape) if input_shape is not None else None
        extra = {"attn_implementation": attention} if attention is not None else {}
        loaded = load_model(
            model, batch=batch, seq_len=seq_len, input_shape=shape, dtype=dtype.lower(), device=device, **extra
        )
        try:
            result = count(
                loaded.model,
                loaded.inputs,
                mode=mode,
                optimizer=optimizer,
                depth=depth,
                name=loaded.name,
                dtype=dtype.lower(),
            )
        except ModelError as exc:
            if "--device cpu" in str(exc):  # the fix is already named
                raise
            raise ModelError(f"{exc} (check --input-shape, --batch, --seq-len)") from exc
        if as_json:
            typer.echo(dumps(result))
        else:
            from flopcast.report.count_render import render_count

            render_count(result, depth)
