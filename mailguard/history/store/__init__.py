"""Every finished scan kept in a database: SQLite by default, PostgreSQL by URL for fleets.

:func:`open_store` connects and brings the schema to the newest Alembic revision (migrations
ship in ``mailguard/history/store/migrations``; two processes opening a new database at once take a
lock, so only one migrates). :class:`Store` records reports, once per (run, domain) however
often a chunk ran, and answers the queries behind ``mailguard history`` and ``mailguard fleet``.
"""

from __future__ import annotations

import contextlib
import fcntl
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ...core.errors import InputError, StoreError
from ...core.jsonable import to_jsonable
from ...core.model import ScanReport
from ..compare import compare
from .certificates import earliest_expiry
from .models import Chunk, Run, Scan

DEFAULT_DB = "reports/mailguard.db"
MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x6D61696C  # pg_advisory_lock key: "mail"


def database_url(value: str) -> str:
    """A SQLAlchemy URL from what a user writes: a URL, or a file path meaning SQLite.

    ``postgresql://`` and ``postgres://`` use psycopg 3; a relative SQLite path is made absolute
    so that every process (a submitter, its workers) means the same file.
    """
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    scheme, rest = value.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite" and rest.startswith("/") and rest not in ("/", "/:memory:"):
        path = rest[1:]
        return f"sqlite:///{Path(path).expanduser().resolve()}" if path else value
    return value


_SCHEMES = ("sqlite", "postgresql", "postgres")


def _checked_url(value: str) -> tuple[str, URL]:
    """The SQLAlchemy URL of what the user wrote, checked: SQLite or PostgreSQL, well formed."""
    if "://" in value and value.split("://", 1)[0].split("+", 1)[0].lower() not in _SCHEMES:
        raise InputError(f"unsupported database URL {value.split('://', 1)[0]}://...: give a SQLite path "
                         "or a postgresql:// URL")
    url = database_url(value)
    try:
        return url, make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise InputError(f"bad database URL {value!r}: {exc}") from exc


def open_store(value: str) -> Store:
    """Connect to the database at ``value`` (URL or SQLite path) and migrate it to the newest schema."""
    engine, _before, _head = _open_migrated(value)
    return Store(engine)


def upgrade(value: str) -> tuple[str | None, str]:
    """Migrate the database at ``value`` to the newest schema (creating it if need be), as
    ``mailguard db upgrade`` does; returns (its schema revision before, the revision now)."""
    engine, before, head = _open_migrated(value)
    engine.dispose()
    return before, head


def _open_migrated(value: str) -> tuple[Engine, str | None, str]:
    url, parsed = _checked_url(value)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(f"cannot create the database folder {Path(path).parent}: {exc.strerror}") from exc
        try:
            engine = create_engine(url, connect_args={"timeout": 60})
        except (SQLAlchemyError, ValueError) as exc:
            raise InputError(f"bad database URL {value!r}: {_short(exc)}") from exc
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
        except ImportError as exc:
            raise InputError(f"{parsed.get_backend_name()} needs its driver ({exc.name}): "
                             "pip install 'mailguard[fleet]'") from exc
        except (SQLAlchemyError, ValueError) as exc:
            raise InputError(f"bad database URL {parsed.render_as_string(hide_password=True)}: {_short(exc)}") from exc
    try:
        before, head = _migrate(engine, parsed.database if parsed.get_backend_name() == "sqlite" else None)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"database {parsed.render_as_string(hide_password=True)}: {_short(exc)}") from exc
    except BaseException:
        engine.dispose()
        raise
    return engine, before, head


class SchemaTooOld(StoreError):
    """The database was written by an older mailguard: ``mailguard db upgrade`` (or any scan of this
    version with ``--db``) migrates it; readers never do."""


def open_readonly(value: str) -> Store:
    """Connect to an existing database for reading only: never created, never migrated.

    SQLite is opened with ``mode=ro``; PostgreSQL sessions are read-only transactions. A database
    whose schema is not this version's newest raises :class:`SchemaTooOld`; a missing SQLite file,
    an empty database or an unreachable server raise :class:`StoreError`.
    """
    url, parsed = _checked_url(value)
    shown = parsed.render_as_string(hide_password=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database or ""
            if not path or path == ":memory:" or not Path(path).is_file():
                raise StoreError(f"database {shown}: no such file")
            engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"timeout": 10})
        else:
            engine = create_engine(url, pool_pre_ping=True, connect_args={
                "connect_timeout": 5, "options": "-c default_transaction_read_only=on"})
    except ImportError as exc:
        raise InputError(f"{parsed.get_backend_name()} needs its driver ({exc.name}): "
                         "pip install 'mailguard[fleet]'") from exc
    except (SQLAlchemyError, ValueError) as exc:
        raise InputError(f"bad database URL {shown}: {_short(exc)}") from exc
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"database {shown}: {_short(exc)}") from exc
    if current is None:
        engine.dispose()
        raise StoreError(f"database {shown} holds no mailguard results yet (record some with `mailguard scan "
                         "... --db`)")
    if current != head and not _known_revision(current):
        engine.dispose()
        raise StoreError(f"database {shown} was written by a newer mailguard (schema {current}, this version "
                         f"reads {head}): upgrade mailguard to read it")
    if current != head:
        engine.dispose()
        raise SchemaTooOld(f"database {shown} was written by an older mailguard (schema {current}, this version "
                           f"reads {head}): run `mailguard db upgrade --db {shown}` (a scan of this version "
                           "with --db upgrades it too)")
    return Store(engine)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL: readers (the submitter, `history`) never block the workers' writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_PG_LOCK_WAIT_S = 120  # seconds a process waits for another's migration


def _migrate(engine: Engine, sqlite_path: str | None) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; (the revision found, the newest)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with _sqlite_lock(sqlite_path), engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # Another process migrating holds the lock; waiting for it is bounded like every wait.
            conn.execute(text(f"SET lock_timeout = '{_PG_LOCK_WAIT_S}s'"))
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            conn.commit()
        try:
            before = MigrationContext.configure(conn).get_current_revision()
            if before is not None and not _known_revision(before):
                raise StoreError(f"the database was written by a newer mailguard (schema {before}, this version "
                                 f"knows up to {head}): upgrade mailguard before writing to it")
            if before != head:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK})
                conn.commit()
    assert head is not None
    return before, head


def _known_revision(revision: str) -> bool:
    """Whether this version's migrations know ``revision`` (an unknown one came from a newer mailguard)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except AlembicError:
        return False


LOCK_WAIT_S = 120.0  # seconds a process waits for another's migration, like the PostgreSQL lock


@contextlib.contextmanager
def _sqlite_lock(path: str | None, wait: float | None = None) -> Iterator[None]:
    """The migration lock of a SQLite database (``<db>.lock``), waited for at most ``wait`` seconds."""
    if not path or path == ":memory:":
        yield
        return
    limit = LOCK_WAIT_S if wait is None else wait
    try:
        handle = open(f"{path}.lock", "a")  # noqa: SIM115  (closed below, after the lock is released)
    except OSError as exc:
        raise InputError(f"cannot write the lock file {path}.lock: {exc.strerror}") from exc
    with handle:
        give_up = time.monotonic() + limit
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    raise StoreError(f"database {path} is being migrated by another process; gave up after "
                                     f"{limit:g} s (remove {path}.lock if no mailguard is running)") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _short(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text_[0] if text_ else type(exc).__name__


def new_run_id() -> str:
    """Sortable by time and short enough to type: ``20260520T101500-3fa9c1``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _when(iso: str) -> datetime:
    try:
        value = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ScanRow:
    """A recorded scan without its document (what listings need)."""

    id: int
    run_id: str
    domain: str
    started: datetime
    error: str | None
    statuses: Mapping[str, str]
    scores: Mapping[str, int]
    promises: Sequence[Sequence[str]]
    worse: bool | None


_ROW_COLUMNS = (Scan.id, Scan.run_id, Scan.domain, Scan.started, Scan.error, Scan.statuses, Scan.scores,
                Scan.promises, Scan.worse)


class Store:
    """The database of runs and scans. Every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database: {_short(exc)}") from exc

    # Runs and chunks

    def start_run(self, engine: str, total: int, settings: Mapping[str, Any], run_id: str | None = None) -> str:
        run_id = run_id or new_run_id()
        with self._begin() as conn:
            conn.execute(insert(Run).values(id=run_id, started=datetime.now(UTC), finished=None,
                                                       engine=engine, total=total, settings=dict(settings)))
        return run_id

    def set_total(self, run_id: str, total: int) -> None:
        with self._begin() as conn:
            conn.execute(update(Run).where(Run.id == run_id).values(total=total))

    def finish_run(self, run_id: str) -> None:
        with self._begin() as conn:
            conn.execute(update(Run).where(Run.id == run_id).values(finished=datetime.now(UTC)))

    def run(self, run_id: str | None = None) -> Run | None:
        """The run with this id, or the newest run."""
        query = select(Run)
        query = query.where(Run.id == run_id) if run_id else query.order_by(Run.started.desc(), Run.id.desc())
        with self._begin() as conn:
            row = conn.execute(query.limit(1)).first()
        return Run(**row._mapping) if row else None

    def add_chunks(self, run_id: str, chunks: Iterable[tuple[int, str, list[str]]]) -> None:
        rows = [{"run_id": run_id, "seq": seq, "task_id": task_id, "domains": domains}
                for seq, task_id, domains in chunks]
        if rows:
            with self._begin() as conn:
                conn.execute(insert(Chunk), rows)

    def chunks(self, run_id: str) -> list[tuple[int, str, list[str]]]:
        with self._begin() as conn:
            rows = conn.execute(select(Chunk.seq, Chunk.task_id, Chunk.domains)
                                .where(Chunk.run_id == run_id).order_by(Chunk.seq)).all()
        return [(r.seq, r.task_id, list(r.domains)) for r in rows]

    # Scans

    def record(self, run_id: str, reports: Sequence[ScanReport]) -> dict[str, int]:
        """Insert each report once per (run, domain); returns every domain's scan id in this run.

        A report for a domain already recorded in this run (its chunk ran twice) is ignored.
        Each new row notes the domain's previous scan (in another run) and whether this one is worse.
        """
        if not reports:
            return {}
        docs = {r.domain: to_jsonable(r) for r in reports}
        previous = self._previous(run_id, list(docs))
        rows = []
        for domain, doc in docs.items():
            before = previous.get(domain)
            rows.append({
                "run_id": run_id, "domain": domain, "started": _when(doc["started"]),
                "finished": _when(doc["finished"]), "error": doc["error"],
                "statuses": {m["name"]: m["status"] for m in doc["measures"]}, "scores": doc["scores"],
                "promises": [[p["promise"]["kind"], p["verdict"]] for p in doc["promises"]],
                "previous_id": before[0] if before else None,
                "worse": compare(before[1], doc).worse if before else None,
                "cert_expires": earliest_expiry(doc),
                "mailguard_version": doc["mailguard_version"], "document": doc,
            })
        with self._begin() as conn:
            once = postgresql.insert(Scan) if conn.dialect.name == "postgresql" else sqlite.insert(Scan)
            conn.execute(once.on_conflict_do_nothing(index_elements=["run_id", "domain"]), rows)
            ids = conn.execute(select(Scan.domain, Scan.id).where(Scan.run_id == run_id,
                                                                  Scan.domain.in_(list(docs)))).all()
        return {r.domain: r.id for r in ids}

    def _previous(self, run_id: str, domains: list[str]) -> dict[str, tuple[int, dict[str, Any]]]:
        """Each domain's newest scan outside ``run_id``: (id, document)."""
        newest = (select(func.max(Scan.id)).where(Scan.domain.in_(domains), Scan.run_id != run_id)
                  .group_by(Scan.domain))
        with self._begin() as conn:
            rows = conn.execute(select(Scan.id, Scan.domain, Scan.document).where(Scan.id.in_(newest))).all()
        return {r.domain: (r.id, r.document) for r in rows}

    def recorded(self, run_id: str, domains: Sequence[str] | None = None) -> dict[str, int]:
        """Domain -> scan id of what this run has recorded (of ``domains``, or all)."""
        query = select(Scan.domain, Scan.id).where(Scan.run_id == run_id)
        if domains is not None:
            query = query.where(Scan.domain.in_(list(domains)))
        with self._begin() as conn:
            return {r.domain: r.id for r in conn.execute(query)}

    def documents(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The report documents of these scans, in the order of ``ids``."""
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            batch = list(ids[start:start + 500])
            with self._begin() as conn:
                found.update({r.id: r.document for r in
                              conn.execute(select(Scan.id, Scan.document).where(Scan.id.in_(batch)))})
        return [found[i] for i in ids if i in found]

    def history(self, domain: str, limit: int = 20) -> list[tuple[ScanRow, dict[str, Any]]]:
        """The domain's newest ``limit`` scans with their documents, oldest first."""
        with self._begin() as conn:
            rows = conn.execute(select(*_ROW_COLUMNS, Scan.document).where(Scan.domain == domain)
                                .order_by(Scan.started.desc(), Scan.id.desc()).limit(limit)).all()
        return [(ScanRow(*row[:-1]), row[-1]) for row in reversed(rows)]

    def scan_rows(self, run_id: str) -> Iterator[ScanRow]:
        """Every scan of a run, without documents, streamed (a million rows stay small)."""
        last = 0
        while True:
            with self._begin() as conn:
                rows = conn.execute(select(*_ROW_COLUMNS).where(Scan.run_id == run_id, Scan.id > last)
                                    .order_by(Scan.id).limit(5000)).all()
            if not rows:
                return
            for row in rows:
                yield ScanRow(*row)
            last = rows[-1].id

    def previous_run(self, run: Run) -> Run | None:
        with self._begin() as conn:
            row = conn.execute(select(Run).where(Run.started < run.started)
                               .order_by(Run.started.desc()).limit(1)).first()
        return Run(**row._mapping) if row else None


__all__ = ["DEFAULT_DB", "ScanRow", "SchemaTooOld", "Store", "database_url", "new_run_id", "open_readonly",
           "open_store", "upgrade"]
