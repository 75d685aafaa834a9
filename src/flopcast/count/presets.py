"""Bundled model presets: the published Hugging Face configuration of well-known models.

Each preset is a small JSON file in ``flopcast/data/presets/``: the values of the model's
``config.json`` as published on its Hugging Face model card (facts, not code), plus keys that start
with ``_`` and are flopcast's own: ``_source`` (where the values come from), ``_seq_len`` (the
context length a count uses by default, with ``_seq_len_source``). No weights are ever involved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flopcast import data
from flopcast._names import lookup
from flopcast.errors import DataFormatError


@dataclass(frozen=True)
class Preset:
    """A bundled model configuration.

    Attributes
    ----------
    name : str
        The preset's name, e.g. ``"llama-2-7b"``.
    config : dict
        The Hugging Face configuration values (without flopcast's ``_`` keys).
    source : str
        Model card and paper the values come from.
    seq_len : int or None
        Default sequence length in tokens for a count (None for image models).
    seq_len_source : str or None
        Why that default.
    """

    name: str
    config: dict[str, Any] = field(repr=False)
    source: str
    seq_len: int | None = None
    seq_len_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "seq_len": self.seq_len,
            "seq_len_source": self.seq_len_source,
            "config": dict(self.config),
        }


def _directory() -> Path:
    return data.path("presets")


def parse_config_file(path: str | Path) -> dict[str, Any]:
    """Read a Hugging Face ``config.json`` into a dict, or raise a one-line :class:`DataFormatError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFormatError(p, f"cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise DataFormatError(p, "not UTF-8 text; expected a Hugging Face config.json") from None
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(p, f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
    if not isinstance(values, dict):
        raise DataFormatError(p, f"expected a JSON object of config values, got a JSON {type(values).__name__}")
    if "model_type" not in values and not values.get("architectures"):
        raise DataFormatError(p, "neither 'model_type' nor 'architectures' is set; is this a Hugging Face config.json?")
    return values


def _from_file(path: Path) -> Preset:
    raw = parse_config_file(path)
    for key in ("_name", "_source"):
        if not isinstance(raw.get(key), str):
            raise DataFormatError(path, f"preset lacks the string key {key!r}")
    return Preset(
        name=raw["_name"],
        config={k: v for k, v in raw.items() if not k.startswith("_")},
        source=raw["_source"],
        seq_len=raw.get("_seq_len"),
        seq_len_source=raw.get("_seq_len_source"),
    )


@cache
def _presets() -> dict[str, Preset]:
    found = [_from_file(p) for p in sorted(_directory().glob("*.json"))]
    return {p.name: p for p in found}


def list_presets() -> list[str]:
    """Names of the bundled presets, sorted."""
    return sorted(_presets())


def get_preset(name: str) -> Preset:
    """The bundled preset ``name`` (forgiving: ``"Llama-2-7B"``, ``"llama2 7b"``).

    Raises
    ------
    UnknownNameError
        With the nearest preset names.
    """
    return lookup(
        name,
        _presets(),
        kind="model preset",
        hint="bundled: " + ", ".join(list_presets()) + "; or give a config.json path or module:factory",
    )
