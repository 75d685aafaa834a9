"""The run ledger: one SQLite file (stdlib ``sqlite3``, WAL) holding every tracked run and its samples.

On a network filesystem (NFS, CIFS, Lustre, GPFS, BeeGFS, sshfs...: :mod:`flopcast.measure.netfs`), where
SQLite's WAL is unsafe ("WAL does not work over a network filesystem", sqlite.org/wal.html), the ledger uses
the rollback journal instead (``journal_mode=DELETE``) with the same busy timeout, and says so
(:attr:`Ledger.journal_note`, in the run's assumptions).

Written as the run goes: the run row at start, one committed sample (and an updated summary on the
run row) per sampling tick, the final record at the end, so a ``kill -9`` loses at most the tick in
flight. WAL with ``synchronous=NORMAL`` survives a killed process (not a power cut). Several writers
share one file: a busy timeout plus retries make them queue rather than fail.

Schema version 2 adds the ``steps`` table (per-step loss, tokens seen, learning rate, FLOP per step and
metrics). A version-1 ledger opened for writing is migrated in place (the table is created and the version
raised, in one transaction); opened read-only it reads as before, with no steps.

A file that is not a flopcast ledger (corrupt, another database, a newer schema) raises
:class:`LedgerError` and is never modified; a path that cannot be written raises before a job starts.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from flopcast._names import nearest
from flopcast.errors import AmbiguousNameError, LedgerError, UnknownNameError
from flopcast.measure import netfs
from flopcast.measure.steplog import STEP_COLUMNS

SCHEMA_VERSION = 2  # 1: runs, samples, events; 2: + steps (loss, tokens, learning rate, FLOP per step per step)
ENV_VAR = "FLOPCAST_LEDGER"
BUSY_TIMEOUT_SECONDS = 30.0
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS flopcast_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, job_id TEXT, node_rank INTEGER, host TEXT, pid INTEGER, name TEXT,
    command TEXT, status TEXT NOT NULL, exit_code INTEGER, started_at TEXT NOT NULL, updated_at TEXT,
    ended_at TEXT, interval_seconds REAL, wall_seconds REAL, cpu_seconds REAL, steps INTEGER,
    total_steps INTEGER, energy_kwh REAL, co2e_kg REAL, cost_usd REAL, samples INTEGER DEFAULT 0,
    config TEXT, record TEXT);
CREATE TABLE IF NOT EXISTS samples (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, t_seconds REAL NOT NULL, unix_time REAL NOT NULL,
    steps INTEGER, cpu_seconds REAL, rss_bytes REAL, gpu_energy_joules REAL, cpu_energy_joules REAL,
    gpu_power_watts REAL, cpu_power_watts REAL, gpu_util_percent REAL, data TEXT,
    PRIMARY KEY (run_id, seq));
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL, t_seconds REAL, kind TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_job ON runs(job_id);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, step INTEGER NOT NULL, t_seconds REAL, loss REAL, tokens INTEGER,
    learning_rate REAL, flop_per_step REAL, metrics TEXT);
CREATE INDEX IF NOT EXISTS steps_run ON steps(run_id, step);
"""

SUMMARY_COLUMNS = (
    "status",
    "exit_code",
    "updated_at",
    "ended_at",
    "wall_seconds",
    "cpu_seconds",
    "steps",
    "total_steps",
    "energy_kwh",
    "co2e_kg",
    "cost_usd",
    "samples",
    "record",
)
SAMPLE_COLUMNS = (
    "t_seconds",
    "unix_time",
    "steps",
    "cpu_seconds",
    "rss_bytes",
    "gpu_energy_joules",
    "cpu_energy_joules",
    "gpu_power_watts",
    "cpu_power_watts",
    "gpu_util_percent",
    "data",
)


def default_ledger_path() -> Path:
    """``$FLOPCAST_LEDGER`` if set, else ``runs.sqlite`` in the user's data dir (platformdirs)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("flopcast")) / "runs.sqlite"


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLITE_CORRUPT / SQLITE_NOTADB: the file's pages are not a valid database."""
    msg = str(exc).lower()
    return "malformed" in msg or "not a database" in msg or "corrupt" in msg


def damage_fix(path: Path) -> str:
    """What to do about a damaged ledger (one owner for the advice)."""
    return (
        f"restore {path} from a backup (or salvage its rows with the sqlite3 shell's .recover), "
        f"or pass --ledger NEW_PATH / set {ENV_VAR} to keep tracking"
    )


def integrity_problems(conn: sqlite3.Connection, limit: int = 3) -> list[str]:
    """``PRAGMA integrity_check``'s findings (at most ``limit``); empty when the file is sound."""
    try:
        found = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    if found == ["ok"]:
        return []
    lines = (" ".join(line.split()) for f in found for line in f.splitlines())
    return [line for line in lines if line and not line.startswith("***")]


class Ledger:
    """An open run ledger. Thread-safe (one connection behind a lock); use as a context manager.

    Parameters
    ----------
    path : str or Path or None
        The SQLite file; ``None`` → :func:`default_ledger_path`.
    readonly : bool
        Open an existing ledger for reading only (``runs`` commands); a missing file is an error.
    mounts : str, optional
        The text of a mounts file to find the ledger's filesystem in (default: ``/proc/mounts``; for tests).
    """

    def __new__(cls, path: str | Path | None = None, *, readonly: bool = False, mounts: str | None = None) -> Any:
        """A ``postgresql://`` URL (as ``path`` or ``$FLOPCAST_LEDGER``) opens a
        :class:`~flopcast.measure.pg_ledger.PgLedger` instead: the same methods on a server database."""
        from flopcast.measure.pg_ledger import PgLedger, is_url

        target = path if path is not None else os.environ.get(ENV_VAR)
        if cls is Ledger and is_url(target):
            return PgLedger(str(target), readonly=readonly)
        return super().__new__(cls)

    def __init__(self, path: str | Path | None = None, *, readonly: bool = False, mounts: str | None = None):
        explicit = path is not None or bool(os.environ.get(ENV_VAR))
        self.path = Path(path).expanduser() if path is not None else default_ledger_path()
        self.readonly = readonly
        self._lock = threading.Lock()
        self.mount = netfs.mount_of(self.path, mounts) if not readonly else None
        self.journal_mode = "delete" if self.mount is not None and self.mount.network else "wal"
        # synchronous=NORMAL is corruption-safe in WAL mode; with a rollback journal "a power failure at the wrong
        # time could corrupt the database" (sqlite.org/pragma.html#pragma_synchronous), so FULL there
        self._synchronous = "NORMAL" if self.journal_mode == "wal" else "FULL"
        if readonly:
            if self.path.is_dir():
                raise LedgerError(self._directory_message())
            if not self.path.is_file():
                raise LedgerError(f"no ledger at {self.path} (track a run first, or pass --ledger PATH)")
        else:
            self._check_writable_location(explicit)
        self._conn = self._connect()
        try:
            self._validate_and_init()
        except BaseException:
            self._conn.close()
            raise

    # -- opening -------------------------------------------------------------------------------

    def _check_writable_location(self, explicit: bool) -> None:
        parent = self.path.parent
        if not explicit:
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(
                    f"cannot create the ledger directory {parent}: {exc.strerror}; pass --ledger PATH or set {ENV_VAR}"
                ) from None
        if self.path.is_dir():
            raise LedgerError(self._directory_message())
        if not parent.is_dir():
            raise LedgerError(f"cannot write the ledger {self.path}: directory {parent} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK) or (self.path.exists() and not os.access(self.path, os.W_OK)):
            raise LedgerError(f"cannot write the ledger {self.path}: permission denied; pass --ledger PATH")

    def _directory_message(self) -> str:
        inside = self.path / default_ledger_path().name
        fix = f"{inside} is one: pass --ledger {inside}" if inside.is_file() else f"e.g. --ledger {inside}"
        return (
            f"ledger path {self.path} is a directory; --ledger (and {ENV_VAR}) expects the ledger's SQLite "
            f"file, not a folder ({fix})"
        )

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                conn = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro",
                    uri=True,
                    timeout=BUSY_TIMEOUT_SECONDS,
                    check_same_thread=False,
                )
            else:
                conn = sqlite3.connect(
                    str(self.path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False, isolation_level=None
                )
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the ledger {self.path}: {exc}") from None
        conn.row_factory = sqlite3.Row
        return conn

    def _validate_and_init(self) -> None:
        try:
            names = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            version = (
                self._conn.execute("SELECT MAX(version) FROM flopcast_schema").fetchone()[0]
                if "flopcast_schema" in names
                else None
            )
        except sqlite3.DatabaseError as exc:
            raise LedgerError(
                f"{self.path} is not a readable flopcast ledger ({exc}); it was left untouched — "
                f"{damage_fix(self.path)}"
            ) from None
        if names and "flopcast_schema" not in names:
            raise LedgerError(
                f"{self.path} is an SQLite database but not a flopcast ledger (tables: "
                f"{', '.join(sorted(names)[:5])}); it was left untouched — pass --ledger PATH"
            )
        if names and not self.readonly:
            self.check_integrity()
        if names:
            if version is None or version > SCHEMA_VERSION:
                raise LedgerError(
                    f"{self.path} has ledger schema version {version}, this flopcast reads "
                    f"{SCHEMA_VERSION}; upgrade flopcast or pass --ledger PATH"
                )
            if self.readonly:
                return
        elif self.readonly:
            raise LedgerError(f"{self.path} is an empty ledger (no runs recorded yet)")
        self._retry(self._init_schema)

    def check_integrity(self) -> None:
        """Raise :class:`LedgerError` when ``PRAGMA integrity_check`` finds damage (before a run writes to it).

        Cost: about 0.6 s per million samples (a 111 MB ledger), measured on a 2-core dev machine.
        """
        with self._lock:
            problems = integrity_problems(self._conn)
        if problems:
            raise LedgerError(
                f"ledger {self.path} is damaged (integrity check: {'; '.join(problems[:2])[:160]}); "
                f"it was left untouched — {damage_fix(self.path)}"
            )

    @property
    def journal_note(self) -> str | None:
        """One line on why the ledger does not use WAL (``None`` on a local filesystem)."""
        if self.journal_mode == "wal" or self.mount is None:
            return None
        return (
            f"ledger on a network filesystem ({self.mount.fs_type} at {self.mount.mount_point}): SQLite's WAL "
            "does not work there (sqlite.org/wal.html), so journal_mode=DELETE with a "
            f"{BUSY_TIMEOUT_SECONDS:g} s busy timeout; it relies on the filesystem's POSIX locks"
        )

    def _init_schema(self) -> None:
        self._conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
        want = self.journal_mode.upper()
        mode = self._conn.execute(f"PRAGMA journal_mode={want}").fetchone()[0]
        if str(mode).lower() != self.journal_mode:
            raise LedgerError(f"cannot put the ledger {self.path} in {want} journal mode (got {mode})")
        self._conn.execute(f"PRAGMA synchronous={self._synchronous}")
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                self._conn.execute(stmt)
            if self._conn.execute("SELECT COUNT(*) FROM flopcast_schema").fetchone()[0] == 0:
                self._conn.execute("INSERT INTO flopcast_schema(version) VALUES (?)", (SCHEMA_VERSION,))
            else:  # migrate an older ledger: its new tables were created above
                self._conn.execute(
                    "UPDATE flopcast_schema SET version = ? WHERE version < ?", (SCHEMA_VERSION, SCHEMA_VERSION)
                )
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    # -- writing -------------------------------------------------------------------------------

    def _retry(self, fn: Callable[[], T], attempts: int = 8) -> T:
        """Run ``fn`` under the lock, retrying with jittered backoff while another writer holds the file."""
        delay = 0.05
        for i in range(attempts):
            try:
                with self._lock:
                    return fn()
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or i == attempts - 1:
                    raise LedgerError(f"ledger {self.path}: {exc}") from None
            except sqlite3.DatabaseError as exc:
                if _is_damage(exc):
                    raise LedgerError(f"ledger {self.path} is damaged ({exc}); {damage_fix(self.path)}") from None
                raise LedgerError(f"ledger {self.path}: {exc}") from None
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    def _transaction(self, statements: Iterable[tuple[str, tuple]]) -> None:
        stmts = list(statements)

        def run() -> None:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in stmts:
                    self._conn.execute(sql, args)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

        self._retry(run)

    def begin_run(self, row: dict[str, Any]) -> None:
        """Insert the run row (``status='running'``) before the job starts."""
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        values = tuple(column_value(v) for v in row.values())
        self._transaction([(f"INSERT INTO runs ({cols}) VALUES ({marks})", values)])

    def add_sample(
        self,
        run_id: str,
        seq: int,
        sample: dict[str, Any],
        summary: dict[str, Any],
        steps: Iterable[dict[str, Any]] = (),
    ) -> None:
        """Commit one sample, the per-step rows since the last one (``STEP_COLUMNS``) and the run's running
        summary together."""
        cols = ["run_id", "seq", *SAMPLE_COLUMNS]
        vals = [run_id, seq, *(column_value(sample.get(c)) for c in SAMPLE_COLUMNS)]
        ins = (f"INSERT INTO samples ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", tuple(vals))
        self._transaction([ins, *_step_inserts(run_id, steps), self._update(run_id, summary)])

    def finish_run(self, run_id: str, summary: dict[str, Any], steps: Iterable[dict[str, Any]] = ()) -> None:
        """Write the final summary and record durably (with per-step rows ``steps``, e.g. the metrics of an
        ``evaluate()`` after the run stopped), then read them back from the file.

        The commit is ``synchronous=FULL`` (the WAL is synced, so it survives a power cut, not only a
        killed process); the read-back goes through a fresh read-only connection, so a row that is not
        in the file at ``self.path`` (file replaced or deleted, pages damaged) raises :class:`LedgerError`.
        """
        self._retry(lambda: self._conn.execute("PRAGMA synchronous=FULL"))
        try:
            self._transaction([*_step_inserts(run_id, steps), self._update(run_id, summary)])
        finally:
            with contextlib.suppress(Exception):
                self._retry(lambda: self._conn.execute(f"PRAGMA synchronous={self._synchronous}"))
        self.verify_row(run_id, summary)

    def verify_row(self, run_id: str, summary: dict[str, Any]) -> None:
        """Read run ``run_id`` back through a new connection and check the file's integrity; raise
        :class:`LedgerError` unless the row matches ``summary`` and ``PRAGMA integrity_check`` passes."""
        keys = [k for k in ("status", "exit_code", "steps", "samples", "record") if k in summary]
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
            try:
                row = conn.execute(
                    f"SELECT {', '.join(['run_id', *keys])} FROM runs WHERE run_id = ?", (run_id,)
                ).fetchone()
                problems = integrity_problems(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.path}: run {run_id} did not read back ({exc})") from None
        if row is None:
            raise LedgerError(
                f"ledger {self.path}: run {run_id} is not in the file after its final write "
                "(was the ledger replaced or deleted during the run?)"
            )
        if problems:
            raise LedgerError(
                f"ledger {self.path} was damaged during the run (integrity check: "
                f"{'; '.join(problems[:2])[:160]}); {damage_fix(self.path)}"
            )
        bad = [k for k, v in zip(keys, tuple(row)[1:], strict=True) if v != column_value(summary[k])]
        if bad:
            raise LedgerError(
                f"ledger {self.path}: run {run_id} read back different {', '.join(bad)} after its final write"
            )

    def add_event(self, run_id: str, t_seconds: float | None, kind: str, message: str) -> None:
        """Record a tracker event (an error the sampler caught, a signal)."""
        self._transaction(
            [
                (
                    "INSERT INTO events (run_id, t_seconds, kind, message) VALUES (?, ?, ?, ?)",
                    (run_id, t_seconds, kind, message),
                )
            ]
        )

    @staticmethod
    def _update(run_id: str, summary: dict[str, Any]) -> tuple[str, tuple]:
        keys = [k for k in summary if k in SUMMARY_COLUMNS]
        sets = ", ".join(f"{k} = ?" for k in keys)
        return f"UPDATE runs SET {sets} WHERE run_id = ?", (*(column_value(summary[k]) for k in keys), run_id)

    # -- reading -------------------------------------------------------------------------------

    def _query(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            return [dict(r) for r in self._conn.execute(sql, args).fetchall()]

        return self._retry(run)

    def runs(self) -> list[dict[str, Any]]:
        """Every run row, oldest first."""
        return self._query("SELECT * FROM runs ORDER BY started_at, rowid")

    def run(self, run_id: str) -> dict[str, Any]:
        """One run row by id or unique id prefix; also accepts a job id (returns its first node's row)."""
        rows = self._query(
            "SELECT * FROM runs WHERE substr(run_id, 1, ?) = ? ORDER BY started_at, rowid", (len(run_id), run_id)
        )
        return pick_run(rows, run_id, self.runs, self.path)

    def job(self, job_id: str) -> list[dict[str, Any]]:
        """The node rows of one distributed job."""
        return self._query("SELECT * FROM runs WHERE job_id = ? ORDER BY node_rank, started_at", (job_id,))

    def samples(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Samples of one run (or all), in order."""
        if run_id is None:
            return self._query("SELECT * FROM samples ORDER BY run_id, seq")
        return self._query("SELECT * FROM samples WHERE run_id = ? ORDER BY seq", (run_id,))

    def steps(self, run_id: str) -> list[dict[str, Any]]:
        """Per-step rows of run ``run_id`` in the order written (``metrics`` parsed); ``[]`` for a version-1
        ledger opened read-only (it has no ``steps`` table)."""
        has = self._query("SELECT COUNT(*) AS n FROM sqlite_master WHERE type='table' AND name='steps'")[0]["n"]
        if not has:
            return []
        rows = self._query("SELECT * FROM steps WHERE run_id = ? ORDER BY rowid", (run_id,))
        return [decode(r) for r in rows]

    def sample_count(self, run_id: str) -> int:
        """How many samples of run ``run_id`` the ledger holds."""
        return int(self._query("SELECT COUNT(*) AS n FROM samples WHERE run_id = ?", (run_id,))[0]["n"])

    def events(self, run_id: str) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM events WHERE run_id = ? ORDER BY rowid", (run_id,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _step_inserts(run_id: str, steps: Iterable[dict[str, Any]]) -> list[tuple[str, tuple]]:
    """One ``INSERT INTO steps`` per row (``STEP_COLUMNS``) of run ``run_id``."""
    cols = ["run_id", *STEP_COLUMNS]
    sql = f"INSERT INTO steps ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    return [(sql, (run_id, *(column_value(r.get(c)) for c in STEP_COLUMNS))) for r in steps]


def pick_run(rows: list[dict[str, Any]], run_id: str, all_runs: Any, path: Any) -> dict[str, Any]:
    """The one row among those whose id starts with ``run_id`` (an exact id wins over longer ones); else one line:
    ambiguous (the candidates) or unknown (the nearest ids of ``all_runs()``). Both ledger backends use it."""
    if len(rows) == 1:
        return rows[0]
    if rows:
        exact = [r for r in rows if r["run_id"] == run_id]
        if exact:
            return exact[0]
        raise AmbiguousNameError("run", run_id, [r["run_id"] for r in rows][:8])
    raise UnknownNameError(
        "run",
        run_id,
        nearest(run_id, [r["run_id"] for r in all_runs()]),
        hint=f"'flopcast runs list --ledger {path}' lists them",
    )


def column_value(value: Any) -> Any:
    """Python value → column value (dicts/lists as strict JSON text: no nan), for SQLite and PostgreSQL alike."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(strict_json(value), allow_nan=False, default=str)
    return value


def strict_json(value: Any) -> Any:
    """Non-finite floats → ``None`` (strict JSON), recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def decode(row: dict[str, Any]) -> dict[str, Any]:
    """A run row with its JSON columns (``config``, ``record``) parsed."""
    out = dict(row)
    for k in ("config", "record", "data", "metrics"):
        if isinstance(out.get(k), str):
            with contextlib.suppress(ValueError):
                out[k] = json.loads(out[k])
    return out
