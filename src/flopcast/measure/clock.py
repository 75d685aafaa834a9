"""Timestamps and run ids (UTC)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    """Time-sortable (UTC) and unique: ``261122-020304-3f9a1c``."""
    return f"{datetime.now(timezone.utc):%y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
