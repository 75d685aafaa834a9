"""Forgiving accelerator names: the words of a name, and how a typed name picks one catalogue row.

A name is reduced to its words: lower case, brand words dropped ("NVIDIA", "Tesla", "GeForce",
"Google"...), a spaced memory size joined ("80 GB" -> "80gb"), a letter O after a digit read as 0
("H1OO" -> "h100"), a form factor glued to the model split off ("h100sxm" -> "h100", "sxm").
Matching then tries, in order: the joined words as an exact key; every model word EQUAL to a word
of the name (so "A10" is the A10, not the A100); every model word the START of a word of the name.
Memory words ("40gb") narrow the matches and never make a name unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from flopcast._names import digit_zeros
from flopcast.hardware.spec import Accelerator

_BRAND = re.compile(r"\b(nvidia|tesla|geforce|google|cloud|amd|radeon|instinct|intel)\b")
_MEM_SPACED = re.compile(r"\b(\d+)\s+(gb|tb)\b")
_MEM = re.compile(r"^(\d+)(gb|tb)$")
_GLUED_FORM = re.compile(r"^([a-z]*\d+[a-z]?)(sxm\d?|pcie|nvl|oam|hgx)$")
_WORD = re.compile(r"[a-z0-9]+")
_FORM = re.compile(r"\bsxm\d?\b")


def words(name: str) -> list[str]:
    """``"NVIDIA H1OO-SXM 80 GB" -> ["h100", "sxm", "80gb"]`` (see the module docstring)."""
    text = _MEM_SPACED.sub(r"\1\2", _BRAND.sub(" ", name.lower()))
    out: list[str] = []
    for w in _WORD.findall(text):
        w = digit_zeros(w)
        m = _GLUED_FORM.match(w)
        out.extend(m.groups() if m else (w,))
    return out


def key(name: str) -> str:
    """The exact-match key of a name: its words joined."""
    return "".join(words(name))


def memory_bytes(word: str) -> float | None:
    """``"40gb" -> 4e10`` (decimal units, as datasheets state board memory); ``None`` for other words."""
    m = _MEM.match(word)
    return None if m is None else float(m.group(1)) * (1e9 if m.group(2) == "gb" else 1e12)


def _matches(query: Sequence[str], name_words: Sequence[str], exact: bool) -> bool:
    if exact:
        return all(q in name_words for q in query)
    return all(any(w.startswith(q) for w in name_words) for q in query)


def _extra_words(acc: Accelerator, query: Sequence[str]) -> int:
    return sum(1 for w in words(acc.name) if w not in query)


def prefer(hits: list[Accelerator], query: Sequence[str], is_datasheet) -> list[Accelerator]:
    """Narrow equally good matches: datasheet rows over Epoch rows; among datasheet rows the SXM
    (training) form factor; then the rows with the fewest words the query did not name
    ("GTX 580" is the GTX 580, not the "GTX 580 Rev. 2")."""
    curated = [a for a in hits if is_datasheet(a)]
    hits = curated or hits
    if len(hits) > 1 and curated:
        sxm = [a for a in hits if _FORM.search(a.name.lower())]
        if len(sxm) == 1:
            return sxm
    if len(hits) > 1:
        fewest = min(_extra_words(a, query) for a in hits)
        hits = [a for a in hits if _extra_words(a, query) == fewest]
    return hits


def _with_memory(hits: list[Accelerator], mem_words: Sequence[str]) -> tuple[list[Accelerator], float | None]:
    """Rows whose name or memory agrees with the memory words; else all rows and the memory to state."""
    if not mem_words:
        return hits, None
    wanted = [m for m in (memory_bytes(w) for w in mem_words) if m is not None]
    agree = [
        a
        for a in hits
        if all(w in words(a.name) for w in mem_words)
        or (a.memory_bytes is not None and any(abs(a.memory_bytes - m) < 0.5e9 for m in wanted))
    ]
    return (agree, None) if agree or not wanted else (hits, wanted[0])


def candidates(query: str, catalog: Iterable[Accelerator], is_datasheet) -> tuple[list[Accelerator], float | None]:
    """The best rows for ``query`` (possibly several: ambiguous; none: unknown) and, where the query
    named a memory size no row has, that size in bytes."""
    q = words(query)
    mem_words = [w for w in q if memory_bytes(w) is not None]
    model = [w for w in q if memory_bytes(w) is None] or q
    catalog = list(catalog)
    hits: list[Accelerator] = []
    for exact in (True, False):
        hits = [a for a in catalog if _matches(model, words(a.name), exact)]
        if hits:
            break
    hits, stated_memory = _with_memory(hits, mem_words)
    return prefer(hits, model, is_datasheet), stated_memory


def stating_memory(acc: Accelerator, memory: float | None) -> Accelerator:
    """``acc`` with the board memory the user's name stated ("GTX 580 3GB": the 3 GB board of the part)."""
    if memory is None or (acc.memory_bytes is not None and abs(acc.memory_bytes - memory) < 0.5e9):
        return acc
    note = (
        f"memory {memory / 1e9:g} GB taken from the name given (the catalogue row lists "
        + ("none" if acc.memory_bytes is None else f"{acc.memory_bytes / 1e9:g} GB")
        + ")"
    )
    return replace(acc, memory_bytes=memory, notes="; ".join(n for n in (acc.notes, note) if n))
