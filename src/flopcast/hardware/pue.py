"""Data-centre PUE (facility energy / IT energy): the survey default and the providers' own figures.

Values come from ``data/hardware/pue_values.csv``, each row with its source. :func:`pue_for_region`
is the one rule every command uses when the user gives no PUE: a cloud region's provider figure,
else the global survey average.
"""

from __future__ import annotations

from functools import cache

from flopcast._names import normalize
from flopcast.data import bundled
from flopcast.hardware.providers import get_provider


@cache
def _pue_rows() -> tuple[tuple[str, int | None, float, str], ...]:
    rows = bundled("hardware/pue_values.csv", ("scope", "year", "pue", "source"))
    out = []
    for r in rows:
        year = r.number("year")
        out.append(
            (
                r.get("scope"),
                int(year) if year else None,
                r.number("pue", required=True, minimum=1.0),
                f"{r.get('scope')} {int(year) if year else ''}: {r.get('source')} (data/hardware/pue_values.csv)",
            )
        )
    return tuple(out)


def default_pue() -> tuple[float, str]:
    """(PUE, source): the most recent global-average survey value (Uptime Institute)."""
    rows = [r for r in _pue_rows() if r[0].lower().startswith("global average") and r[1] is not None]
    best = max(rows, key=lambda r: r[1] or 0)
    return best[2], best[3]


def provider_pue(provider: str) -> tuple[float, str] | None:
    """(PUE, source) reported for a cloud provider (``"gcp"``, ``"aws"``, ``"azure"``...), or ``None``."""
    known = get_provider(provider)
    scope = known.pue_scope if known is not None and known.pue_scope else provider
    rows = [r for r in _pue_rows() if normalize(r[0]) == normalize(scope)]
    if not rows:
        return None
    best = max(rows, key=lambda r: r[1] or 0)
    return best[2], best[3]


def pue_for_region(code: str | None) -> tuple[float, str]:
    """(PUE, source) assumed for a grid or cloud region code (``"gcp:us-central1"``, ``"FRA"``, ``None``):
    the provider's reported figure for a cloud region, else :func:`default_pue`."""
    provider = code.partition(":")[0] if code and ":" in code else None
    return (provider_pue(provider) if provider else None) or default_pue()
