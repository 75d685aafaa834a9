"""Forgiving name lookup: normalisation and nearest-name suggestions for every catalogue."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

from flopcast.errors import AmbiguousNameError, UnknownNameError

T = TypeVar("T")

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_O_AFTER_DIGIT = re.compile(r"(?<=\d)o+")  # "h1oo": a letter O typed for a zero after a digit


def digit_zeros(token: str) -> str:
    """Letter O typed for the digit 0 after a digit: ``"h1oo" -> "h100"``, ``"a1o0" -> "a100"``."""
    return _O_AFTER_DIGIT.sub(lambda m: "0" * len(m.group()), token)


def normalize(name: str) -> str:
    """Lower-case, drop everything but letters and digits, read an O after a digit as 0:
    ``"H100-SXM 80GB" -> "h100sxm80gb"``, ``"H1OO" -> "h100"``."""
    return digit_zeros(_NON_ALNUM.sub("", name.lower()))


def nearest(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """Up to ``n`` candidates closest to ``name``: substring matches first, then difflib ratio."""
    cands = list(dict.fromkeys(candidates))
    key = normalize(name)
    by_norm: dict[str, list[str]] = {}
    for c in cands:
        by_norm.setdefault(normalize(c), []).append(c)
    subs = [c for c in cands if key and (key in normalize(c) or normalize(c) in key)]
    close = difflib.get_close_matches(key, list(by_norm), n=n, cutoff=0.4)
    out = list(subs)
    for k in close:
        out.extend(by_norm[k])
    return list(dict.fromkeys(out))[:n]


def lookup(
    name: str, table: Mapping[str, T], *, kind: str, aliases: Mapping[str, str] | None = None, hint: str | None = None
) -> T:
    """Find ``name`` in ``table`` (keys are display names) forgivingly.

    Exact normalised match, then an alias, then a unique normalised prefix/substring match.
    Raises :class:`UnknownNameError` (with the nearest names) or :class:`AmbiguousNameError`.
    """
    key = normalize(name)
    norm = {normalize(k): k for k in table}
    if key in norm:
        return table[norm[key]]
    if aliases:
        alias_norm = {normalize(a): t for a, t in aliases.items()}
        if key in alias_norm:
            return table[alias_norm[key]]
    if key:
        hits = [k for nk, k in norm.items() if nk.startswith(key) or key in nk]
        if len(hits) == 1:
            return table[hits[0]]
        if len(hits) > 1:
            raise AmbiguousNameError(kind, name, sorted(hits), hint=hint)
    raise UnknownNameError(kind, name, nearest(name, table), hint=hint)
