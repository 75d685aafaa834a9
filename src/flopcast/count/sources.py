"""Where models come from: a bundled preset, a local ``config.json``, or a Python factory.

:func:`load_model` turns a model *spec* into a built ``nn.Module`` and the inputs of one network
pass, without downloading anything:

* ``"gpt2"``, ``"llama-2-70b"``...: a bundled preset (:func:`list_presets`), the model's published
  Hugging Face config, built on the meta device by default;
* ``"path/to/config.json"`` (or a folder holding one): a local Hugging Face config;
* ``"package.module:factory"`` or ``"path/to/file.py:factory"``: a callable returning an
  ``nn.Module`` (or a ``(module, inputs)`` pair), called inside ``torch.device(device)``.

Every failure is a one-line :class:`~flopcast.errors.ModelError` (or ``UnknownNameError`` /
``DataFormatError``), which the CLI reports with exit code 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flopcast._names import nearest
from flopcast.count import hf
from flopcast.count.deps import require
from flopcast.count.presets import get_preset, list_presets, parse_config_file
from flopcast.errors import ModelError, one_line

__all__ = ["LoadedModel", "list_presets", "load_model"]

_FACTORY = re.compile(r"^(?P<target>.+):(?P<attr>[A-Za-z_][A-Za-z0-9_.]*)$")

#: Cap on the default sequence length taken from a user config's context length (tokens).
MAX_DEFAULT_SEQ_LEN = 8192
#: Default sequence length when a config states no context length (tokens).
FALLBACK_SEQ_LEN = 512


@dataclass(frozen=True)
class LoadedModel:
    """A built model and the inputs of one network pass.

    Attributes
    ----------
    model : torch.nn.Module
        The model, in eval mode, on the requested device and dtype.
    inputs : Tensor, tuple or dict
        Positional inputs (a tensor or tuple) or keyword inputs (a dict) for ``model``.
    name : str
        Display name: the preset name, the config's architecture, or the factory spec.
    kind : str
        ``"preset"``, ``"config"`` or ``"factory"``.
    config : dict or None
        The Hugging Face config values used (None for a factory).
    source : str or None
        Where the configuration values come from (model card / paper) for presets.
    inputs_description : str
        The synthesized inputs in words, e.g. ``"input_ids 1x1024"``.
    seq_len : int or None
        Sequence length in tokens used for token inputs.
    inputs_given : bool
        The inputs are the factory's own (a ``(model, inputs)`` pair), not synthesized: their batch is theirs.
    """

    model: Any = field(repr=False)
    inputs: Any = field(repr=False)
    name: str
    kind: str
    config: dict[str, Any] | None = field(default=None, repr=False)
    source: str | None = None
    inputs_description: str = ""
    seq_len: int | None = None
    inputs_given: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "source": self.source,
            "inputs": self.inputs_description,
            "seq_len": self.seq_len,
        }


def load_model(
    spec: str,
    *,
    batch: int = 1,
    seq_len: int | None = None,
    input_shape: tuple[int, ...] | None = None,
    dtype: str = "fp32",
    device: str = "meta",
    attn_implementation: str | None = None,
) -> LoadedModel:
    """Build the model named by ``spec`` and synthesize the inputs of one forward pass.

    Parameters
    ----------
    spec : str
        A preset name, a ``config.json`` path (or its folder), or ``module:factory`` /
        ``file.py:factory``.
    batch : int
        Sequences (or images) per pass.
    seq_len : int, optional
        Tokens per sequence; default: the preset's pretraining context, else the config's context
        length capped at ``MAX_DEFAULT_SEQ_LEN``, else ``FALLBACK_SEQ_LEN``.
    input_shape : tuple of int, optional
        Full input shape, overriding ``batch``/``seq_len`` (``(1, 3, 224, 224)`` for an image).
    dtype : {"fp32", "bf16", "fp16"}
        Parameter and floating-input dtype.
    device : str
        ``"meta"`` (default: no memory, no real arithmetic) or a real device such as ``"cpu"``.
    attn_implementation : {None, "sdpa", "eager"}
        Hugging Face attention backend; None (default) takes ``sdpa`` where the model has it, else
        ``eager`` (they count alike); ``"sdpa"`` for a model without it is a one-line error naming eager.

    Raises
    ------
    UnknownNameError, DataFormatError, ModelError
        One-line errors for an unknown preset, a malformed config, a factory that fails.
    """
    _check_sizes(batch, seq_len, input_shape)
    require("torch", "counting a model")
    hf.torch_dtype(dtype)  # validate early
    factory = _FACTORY.match(spec) if not Path(spec).exists() else None
    if factory and not re.match(r"^[A-Za-z]:[\\/]", spec):
        return _from_factory(
            spec,
            factory["target"],
            factory["attr"],
            batch=batch,
            seq_len=seq_len,
            input_shape=input_shape,
            dtype=dtype,
            device=device,
        )
    path = _config_path(spec)
    if path is not None:
        values = parse_config_file(path)
        name = (
            values.get("_name") or (values.get("architectures") or [None])[0] or values.get("model_type") or path.stem
        )
        source, kind, default_seq_len, where = str(path), "config", values.get("_seq_len"), str(path)
    else:
        preset = get_preset(spec)
        values, name, kind, source = preset.config, preset.name, "preset", preset.source
        default_seq_len, where = preset.seq_len, f"preset {preset.name!r}"
    return _from_config(
        values,
        name=str(name),
        kind=kind,
        source=source,
        default_seq_len=default_seq_len,
        where=where,
        batch=batch,
        seq_len=seq_len,
        input_shape=input_shape,
        dtype=dtype,
        device=device,
        attn_implementation=attn_implementation,
    )


def _check_sizes(batch: int, seq_len: int | None, input_shape: tuple[int, ...] | None) -> None:
    """Refuse a batch, sequence length or input shape that is not positive (one line each)."""
    if batch < 1:
        raise ModelError(f"batch must be a positive integer, got {batch}")
    if seq_len is not None and seq_len < 1:
        raise ModelError(f"seq_len must be a positive integer, got {seq_len}")
    if input_shape is not None and (not input_shape or any(int(d) < 1 for d in input_shape)):
        raise ModelError(f"input shape must be positive integers, got {input_shape}")


def _config_path(spec: str) -> Path | None:
    """The ``config.json`` that ``spec`` names (a file, a folder holding one, or any ``*.json``), else ``None``."""
    path = Path(spec)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(
                f"{spec!r} is a directory with no config.json in it: give a Hugging Face config.json "
                "(or its folder), a bundled preset name, or module:factory"
            )
        path = path / "config.json"
    return path if path.is_file() or spec.endswith(".json") else None


def _context_length(values: dict[str, Any]) -> int | None:
    """The config's token context: its own, else its text tower's (a multi-modal config such as CLIP's)."""
    for key in ("n_positions", "max_position_embeddings", "n_ctx", "max_seq_len"):
        v = values.get(key)
        if isinstance(v, int) and v > 0:
            return v
    text = values.get("text_config")
    return _context_length(text) if isinstance(text, dict) else None


def _from_config(
    values: dict[str, Any],
    *,
    name: str,
    kind: str,
    source: str,
    default_seq_len: int | None,
    where: str,
    batch: int,
    seq_len: int | None,
    input_shape: tuple[int, ...] | None,
    dtype: str,
    device: str,
    attn_implementation: str | None,
) -> LoadedModel:
    require("transformers", f"building {where} (a Hugging Face config)")
    clean = {k: v for k, v in values.items() if not k.startswith("_")}
    if seq_len is None:
        ctx = _context_length(clean)
        seq_len = default_seq_len or (min(ctx, MAX_DEFAULT_SEQ_LEN) if ctx else FALLBACK_SEQ_LEN)
    config = hf.make_config(clean, attn_implementation=attn_implementation, where=where)
    model = hf.build_model(config, device=device, dtype=dtype, where=where)
    inputs, desc = hf.synthesize_inputs(
        model, config, batch=batch, seq_len=seq_len, input_shape=input_shape, dtype=dtype, device=device, where=where
    )
    uses_tokens = "input_ids" in inputs
    return LoadedModel(
        model=model,
        inputs=inputs,
        name=name,
        kind=kind,
        config=clean,
        source=source,
        inputs_description=desc,
        seq_len=int(inputs["input_ids"].shape[-1]) if uses_tokens else None,
    )


# ---------------------------------------------------------------- factories


def _import_target(spec: str, target: str) -> Any:
    """The module named by ``target``: a ``.py`` file path or a dotted module name."""
    if target.endswith(".py") or "/" in target or "\\" in target:
        file = Path(target)
        if not file.is_file():
            raise ModelError(f"cannot import {spec!r}: no file {target!r}")
        mod_name = f"_flopcast_factory_{abs(hash(str(file.resolve())))}"
        module_spec = importlib.util.spec_from_file_location(mod_name, file)
        if module_spec is None or module_spec.loader is None:
            raise ModelError(f"cannot import {spec!r}: {target!r} is not a Python file")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[mod_name] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException as exc:
            sys.modules.pop(mod_name, None)
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise ModelError(f"cannot import {spec!r}: {_where(exc)}") from None
        return module
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        missing = f"no module named {exc.name!r}" if exc.name else one_line(exc)
        raise ModelError(
            f"cannot import {spec!r}: {missing} (is the package installed, or use path/to/file.py:factory)"
        ) from None
    except Exception as exc:
        raise ModelError(f"cannot import {spec!r}: {_where(exc)}") from None


def _where(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"it calls sys.exit({exc.code!r}) on import (guard script code with `if __name__ == '__main__':`)"
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} ({Path(exc.filename or '?').name}, line {exc.lineno})"
    return one_line(exc)


def _exited(exc: SystemExit) -> str:
    return f"it called sys.exit({exc.code!r}) instead of returning a torch.nn.Module (return the model)"


def _from_factory(
    spec: str,
    target: str,
    attr: str,
    *,
    batch: int,
    seq_len: int | None,
    input_shape: tuple[int, ...] | None,
    dtype: str,
    device: str,
) -> LoadedModel:
    import torch

    module = _import_target(spec, target)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n, None))]
            near = nearest(attr, names, n=4)
            raise ModelError(
                f"cannot import {spec!r}: {target!r} has no attribute {attr!r}"
                + (f"; nearest: {', '.join(near)}" if near else "")
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise ModelError(f"{spec!r} is a {type(obj).__name__}, not a callable returning a torch.nn.Module")
    try:
        with hf.building(device, dtype):
            made = obj()
    except Exception as exc:
        raise ModelError(f"factory {spec!r} failed: {one_line(exc)}") from None
    except SystemExit as exc:  # user code that exits is a failed factory, not the end of flopcast
        raise ModelError(f"factory {spec!r} failed: {_exited(exc)}") from None
    given_inputs = None
    if isinstance(made, tuple) and len(made) == 2 and isinstance(made[0], torch.nn.Module):
        made, given_inputs = made
    if not isinstance(made, torch.nn.Module):
        raise ModelError(
            f"factory {spec!r} returned a {type(made).__name__}, not a torch.nn.Module "
            "(return the model, or a (model, inputs) pair)"
        )
    made.eval()
    if given_inputs is not None and input_shape is None and seq_len is None:
        return LoadedModel(
            model=made,
            inputs=given_inputs,
            name=spec,
            kind="factory",
            inputs_description="inputs returned by the factory",
            inputs_given=True,
        )
    inputs, desc, tokens = _factory_inputs(
        made, spec, batch=batch, seq_len=seq_len, input_shape=input_shape, dtype=dtype, device=device
    )
    return LoadedModel(model=made, inputs=inputs, name=spec, kind="factory", inputs_description=desc, seq_len=tokens)


def _first_leaf(model: Any) -> Any:
    for m in model.modules():
        if not list(m.children()) and any(True for _ in m.parameters(recurse=False)):
            return m
    return None


def _factory_inputs(
    model: Any,
    spec: str,
    *,
    batch: int,
    seq_len: int | None,
    input_shape: tuple[int, ...] | None,
    dtype: str,
    device: str,
) -> tuple[Any, str, int | None]:
    """One input tensor for a factory model, shaped by ``input_shape`` (or guessed from its first layer).

    A model whose first parametrised layer is an ``nn.Embedding`` gets token ids of shape
    ``(batch, seq_len)``; one starting with ``nn.Linear`` gets ``(batch, in_features)``; anything
    else needs ``input_shape``.
    """
    import torch

    first = _first_leaf(model)
    if isinstance(first, torch.nn.Embedding):
        shape = tuple(input_shape) if input_shape else ((batch, seq_len) if seq_len else None)
        if shape is None:
            raise ModelError(f"factory {spec!r} takes token ids: give --seq-len L (or --input-shape B,L)")
        return hf._token_ids(shape, first.num_embeddings, device), f"token ids {hf._dims(shape)}", shape[-1]
    if input_shape is None:
        if isinstance(first, torch.nn.Linear):
            input_shape = (batch, first.in_features)
        else:
            hint = ""
            if isinstance(first, torch.nn.Conv2d):
                hint = f" (e.g. {batch},{first.in_channels},224,224)"
            elif isinstance(first, (torch.nn.RNNBase,)):
                hint = f" (e.g. {batch},{seq_len or 128},{first.input_size} with batch_first)"
            raise ModelError(f"factory {spec!r}: give --input-shape for its inputs{hint}")
    return hf._floats(tuple(input_shape), dtype, device), f"input {hf._dims(tuple(input_shape))}", None
