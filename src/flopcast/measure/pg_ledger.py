"""A run ledger in PostgreSQL, for teams and clusters: ``--ledger postgresql://user@host/db`` (SQLAlchemy Core with
psycopg 3; ``pip install sqlalchemy "psycopg[binary]"``). Same tables, columns and schema versions as the SQLite
ledger (:mod:`flopcast.measure.ledger`), the same methods, so the tracker and ``runs`` commands use either.

Differences, all forced by the server: ``events`` and ``steps`` carry a ``row_order`` identity column (SQLite's
``rowid``, which they are read back by), and JSON columns are ``TEXT`` as in SQLite. Every write is one
transaction; the server's MVCC lets writers on many nodes commit without the file locks SQLite needs. A schema-1
database is migrated on a write open (the ``steps`` table created, the version raised, in one transaction).
The URL's password never appears in messages or records.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from flopcast.errors import LedgerError, one_line
from flopcast.measure.ledger import SAMPLE_COLUMNS, SCHEMA_VERSION, SUMMARY_COLUMNS, column_value, decode, pick_run
from flopcast.measure.steplog import STEP_COLUMNS

SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def is_url(value: Any) -> bool:
    """Whether a ``--ledger`` value names a PostgreSQL database rather than a file."""
    return isinstance(value, str) and value.startswith(SCHEMES)


def masked(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(_driver_url(url)).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def _driver_url(url: str) -> str:
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def _tables() -> tuple[Any, dict[str, Any]]:
    from sqlalchemy import Column, Integer, MetaData, Table

    md = MetaData()
    t = {
        "flopcast_schema": Table("flopcast_schema", md, Column("version", Integer, nullable=False)),
        "runs": _runs_table(md),
        "samples": _samples_table(md),
        "events": _events_table(md),
        "steps": _steps_table(md),
    }
    return md, t


def _runs_table(md: Any) -> Any:
    from sqlalchemy import BigInteger, Column, Float, Index, Integer, Table, Text

    return Table(
        "runs",
        md,
        Column("run_id", Text, primary_key=True),
        Column("job_id", Text),
        Column("node_rank", Integer),
        Column("host", Text),
        Column("pid", Integer),
        Column("name", Text),
        Column("command", Text),
        Column("status", Text, nullable=False),
        Column("exit_code", Integer),
        Column("started_at", Text, nullable=False),
        Column("updated_at", Text),
        Column("ended_at", Text),
        *(Column(c, Float) for c in ("interval_seconds", "wall_seconds", "cpu_seconds")),
        Column("steps", BigInteger),
        Column("total_steps", BigInteger),
        *(Column(c, Float) for c in ("energy_kwh", "co2e_kg", "cost_usd")),
        Column("samples", Integer, server_default="0"),
        Column("config", Text),
        Column("record", Text),
        Index("runs_job", "job_id"),
    )


def _samples_table(md: Any) -> Any:
    from sqlalchemy import BigInteger, Column, Float, Integer, Table, Text

    floats = (
        "cpu_seconds",
        "rss_bytes",
        "gpu_energy_joules",
        "cpu_energy_joules",
        "gpu_power_watts",
        "cpu_power_watts",
        "gpu_util_percent",
    )
    return Table(
        "samples",
        md,
        Column("run_id", Text, primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("t_seconds", Float, nullable=False),
        Column("unix_time", Float, nullable=False),
        Column("steps", BigInteger),
        *(Column(c, Float) for c in floats),
        Column("data", Text),
    )


def _events_table(md: Any) -> Any:
    from sqlalchemy import BigInteger, Column, Float, Identity, Table, Text

    return Table(
        "events",
        md,
        Column("row_order", BigInteger, Identity(), primary_key=True),
        Column("run_id", Text, nullable=False),
        Column("t_seconds", Float),
        Column("kind", Text, nullable=False),
        Column("message", Text, nullable=False),
    )


def _steps_table(md: Any) -> Any:
    from sqlalchemy import BigInteger, Column, Float, Identity, Index, Table, Text

    return Table(
        "steps",
        md,
        Column("row_order", BigInteger, Identity(), primary_key=True),
        Column("run_id", Text, nullable=False),
        Column("step", BigInteger, nullable=False),
        Column("t_seconds", Float),
        Column("loss", Float),
        Column("tokens", BigInteger),
        Column("learning_rate", Float),
        Column("flop_per_step", Float),
        Column("metrics", Text),
        Index("steps_run", "run_id", "step"),
    )


class PgLedger:
    """An open PostgreSQL run ledger with :class:`~flopcast.measure.ledger.Ledger`'s methods."""

    journal_mode = "postgresql"
    journal_note = None
    mount = None

    def __init__(self, url: str, *, readonly: bool = False, mounts: str | None = None):
        try:
            from sqlalchemy import create_engine
        except ImportError:
            raise LedgerError(
                'a PostgreSQL ledger needs SQLAlchemy and psycopg: pip install sqlalchemy "psycopg[binary]"'
            ) from None
        self.url, self.path, self.readonly = url, masked(url), readonly
        self.fallback_path = None  # records the server refuses go to the user data dir
        self._md, self._t = _tables()
        try:
            self._engine = create_engine(_driver_url(url), pool_pre_ping=True)
            self._open()
        except LedgerError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise LedgerError(f"cannot open the ledger {self.path}: {one_line(exc)}") from None

    def _open(self) -> None:
        from sqlalchemy import inspect, select

        names = set(inspect(self._engine).get_table_names())
        if "flopcast_schema" not in names:
            if self.readonly:
                raise LedgerError(f"{self.path} holds no flopcast ledger yet (track a run first, or pass --ledger)")
            if "runs" in names:  # another application's table of that name: leave the database alone
                raise LedgerError(
                    f"{self.path} has a 'runs' table but no flopcast ledger; it was left untouched "
                    "- pass another database in --ledger"
                )
            self._init_schema()
            return
        with self._engine.connect() as conn:
            found = conn.execute(select(self._t["flopcast_schema"].c.version)).scalars().all()
        version = max(found) if found else None
        if version is None or version > SCHEMA_VERSION:
            raise LedgerError(
                f"{self.path} has ledger schema version {version}, this flopcast reads "
                f"{SCHEMA_VERSION}; upgrade flopcast or pass --ledger PATH_OR_URL"
            )
        self.version = version
        if not self.readonly:
            self._init_schema()

    def _init_schema(self) -> None:
        from sqlalchemy import func, insert, select, update

        schema = self._t["flopcast_schema"]
        with self._engine.begin() as conn:
            self._md.create_all(conn)  # CREATE TABLE IF NOT EXISTS for each: an older ledger gains its new tables
            if conn.execute(select(func.count()).select_from(schema)).scalar_one() == 0:
                conn.execute(insert(schema).values(version=SCHEMA_VERSION))
            else:
                conn.execute(update(schema).where(schema.c.version < SCHEMA_VERSION).values(version=SCHEMA_VERSION))
        self.version = SCHEMA_VERSION

    # -- writing ----------------------------------------------------------------------------------

    def _write(self, fn: Any) -> None:
        try:
            with self._engine.begin() as conn:
                fn(conn)
        except Exception as exc:
            raise LedgerError(f"ledger {self.path}: {one_line(exc)}") from None

    def check_integrity(self) -> None:
        """Nothing to do: the server keeps its own pages consistent."""

    def begin_run(self, row: dict[str, Any]) -> None:
        from sqlalchemy import insert

        values = {k: column_value(v) for k, v in row.items()}
        self._write(lambda c: c.execute(insert(self._t["runs"]).values(**values)))

    def add_sample(
        self,
        run_id: str,
        seq: int,
        sample: dict[str, Any],
        summary: dict[str, Any],
        steps: Iterable[dict[str, Any]] = (),
    ) -> None:
        """One transaction: the sample, the per-step rows since the last one, the run's running summary."""
        from sqlalchemy import insert

        def run(conn: Any) -> None:
            conn.execute(
                insert(self._t["samples"]).values(
                    run_id=run_id, seq=seq, **{c: column_value(sample.get(c)) for c in SAMPLE_COLUMNS}
                )
            )
            self._insert_steps(conn, run_id, steps)
            conn.execute(self._update(run_id, summary))

        self._write(run)

    def _insert_steps(self, conn: Any, run_id: str, steps: Iterable[dict[str, Any]]) -> None:
        from sqlalchemy import insert

        rows = [{"run_id": run_id, **{c: column_value(r.get(c)) for c in STEP_COLUMNS}} for r in steps]
        if rows:
            conn.execute(insert(self._t["steps"]), rows)

    def finish_run(self, run_id: str, summary: dict[str, Any], steps: Iterable[dict[str, Any]] = ()) -> None:
        """Commit the final summary (with per-step rows ``steps``, e.g. an ``evaluate()`` after the run stopped) in
        one transaction, then read it back through a new connection (it must match)."""

        def run(conn: Any) -> None:
            self._insert_steps(conn, run_id, steps)
            conn.execute(self._update(run_id, summary))

        self._write(run)
        self.verify_row(run_id, summary)

    def verify_row(self, run_id: str, summary: dict[str, Any]) -> None:
        keys = [k for k in ("status", "exit_code", "steps", "samples", "record") if k in summary]
        try:
            row = self._one("SELECT * FROM runs WHERE run_id = :id", {"id": run_id})
        except LedgerError as exc:
            raise LedgerError(f"ledger {self.path}: run {run_id} did not read back ({exc})") from None
        if row is None:
            raise LedgerError(f"ledger {self.path}: run {run_id} is not in the database after its final write")
        bad = [k for k in keys if row[k] != column_value(summary[k])]
        if bad:
            raise LedgerError(
                f"ledger {self.path}: run {run_id} read back different {', '.join(bad)} after its final write"
            )

    def add_event(self, run_id: str, t_seconds: float | None, kind: str, message: str) -> None:
        from sqlalchemy import insert

        self._write(
            lambda c: c.execute(
                insert(self._t["events"]).values(run_id=run_id, t_seconds=t_seconds, kind=kind, message=message)
            )
        )

    def _update(self, run_id: str, summary: dict[str, Any]) -> Any:
        from sqlalchemy import update

        runs = self._t["runs"]
        values = {k: column_value(v) for k, v in summary.items() if k in SUMMARY_COLUMNS}
        return update(runs).where(runs.c.run_id == run_id).values(**values)

    # -- reading ----------------------------------------------------------------------------------

    def _query(self, sql: str, args: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        from sqlalchemy import text

        try:
            with self._engine.connect() as conn:
                rows = [dict(r) for r in conn.execute(text(sql), args or {}).mappings()]
        except Exception as exc:
            raise LedgerError(f"ledger {self.path}: {one_line(exc)}") from None
        for r in rows:
            r.pop("row_order", None)
        return rows

    def _one(self, sql: str, args: dict[str, Any]) -> dict[str, Any] | None:
        rows = self._query(sql, args)
        return rows[0] if rows else None

    def runs(self) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM runs ORDER BY started_at, run_id")

    def run(self, run_id: str) -> dict[str, Any]:
        """One run row by id or unique id prefix (a job id gives its first node's row)."""
        rows = self._query(
            "SELECT * FROM runs WHERE left(run_id, :n) = :id ORDER BY started_at, run_id",
            {"n": len(run_id), "id": run_id},
        )
        return pick_run(rows, run_id, self.runs, self.path)

    def job(self, job_id: str) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM runs WHERE job_id = :j ORDER BY node_rank, started_at", {"j": job_id})

    def samples(self, run_id: str | None = None) -> list[dict[str, Any]]:
        if run_id is None:
            return self._query("SELECT * FROM samples ORDER BY run_id, seq")
        return self._query("SELECT * FROM samples WHERE run_id = :r ORDER BY seq", {"r": run_id})

    def steps(self, run_id: str) -> list[dict[str, Any]]:
        if getattr(self, "version", 2) < 2:  # a schema-1 ledger opened read-only: no steps table
            return []
        return [
            decode(r) for r in self._query("SELECT * FROM steps WHERE run_id = :r ORDER BY row_order", {"r": run_id})
        ]

    def sample_count(self, run_id: str) -> int:
        return int(self._query("SELECT COUNT(*) AS n FROM samples WHERE run_id = :r", {"r": run_id})[0]["n"])

    def events(self, run_id: str) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM events WHERE run_id = :r ORDER BY row_order", {"r": run_id})

    def close(self) -> None:
        engine = getattr(self, "_engine", None)
        if engine is not None:
            with contextlib.suppress(Exception):
                engine.dispose()

    def __enter__(self) -> PgLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
