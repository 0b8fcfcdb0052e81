"""The migration runner: yoyo migrations per backend, applied, rolled back and reported.

Migrations are SQL files in `migrations/<backend>/`, named `NNNN.description.sql` with a matching
`NNNN.description.rollback.sql`. The wheel carries them as `galfriday/_migrations/<backend>/`; a source checkout
or an editable install reads the top-level `migrations/` folder. Only migrations create schema.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import frozen
from yoyo import get_backend, read_migrations

import galfriday
from galfriday.errors import ConfigurationError, StoreError

BACKENDS = ("postgres", "sqlite")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@frozen
class MigrationState:
    id: str
    number: int
    applied: bool


def migrations_dir(backend: str) -> Path:
    """Where `backend`'s migrations live: inside the installed package, else in the source tree."""
    if backend not in BACKENDS:
        raise ConfigurationError("migration backend", backend, f"one of {', '.join(BACKENDS)}")
    package = Path(galfriday.__file__).resolve().parent
    for candidate in (package / "_migrations" / backend, package.parent / "migrations" / backend):
        if candidate.is_dir():
            return candidate
    raise StoreError(f"no migrations for {backend}: looked in {package / '_migrations'} and {package.parent}")


def yoyo_url(backend: str, dsn: str) -> str:
    """Translate a galfriday DSN (a postgres URL, or a SQLite file path) into a yoyo database URL."""
    if backend == "postgres":
        for prefix in ("postgresql://", "postgres://"):
            if dsn.startswith(prefix):
                return "postgresql+psycopg://" + dsn[len(prefix) :]
        if dsn.startswith("postgresql+psycopg://"):
            return dsn
        raise ConfigurationError("store.dsn", "<redacted>", "a URL starting with postgresql://", secret=True)
    if dsn.startswith("sqlite:///"):
        return dsn
    return "sqlite:///" + str(Path(dsn).expanduser().resolve())


def _number(migration_id: str) -> int:
    head = migration_id.split(".", 1)[0]
    if not head.isdigit():
        raise StoreError(f"migration {migration_id!r} does not start with a number (NNNN.description)")
    return int(head)


def _open(backend: str, dsn: str) -> tuple[Any, Any]:
    return get_backend(yoyo_url(backend, dsn)), read_migrations(str(migrations_dir(backend)))


def migrate(backend: str, dsn: str) -> list[str]:
    """Apply every pending migration; return the ids applied, in order."""
    db, migrations = _open(backend, dsn)
    try:
        with db.lock():
            pending = db.to_apply(migrations)
            db.apply_migrations(pending)
            return [m.id for m in pending]
    finally:
        db.connection.close()


def rollback(backend: str, dsn: str, to: int) -> list[str]:
    """Roll back every applied migration numbered above `to` (0 rolls back everything); return their ids."""
    if to < 0:
        raise ConfigurationError("--to", to, "a migration number of 0 or more")
    db, migrations = _open(backend, dsn)
    try:
        with db.lock():
            undo = migrations.filter(lambda m: _number(m.id) > to)
            chosen = db.to_rollback(undo)
            db.rollback_migrations(chosen)
            return [m.id for m in chosen]
    finally:
        db.connection.close()


def status(backend: str, dsn: str) -> list[MigrationState]:
    """Every known migration with whether it is applied."""
    db, migrations = _open(backend, dsn)
    try:
        return [MigrationState(m.id, _number(m.id), db.is_applied(m)) for m in migrations]
    finally:
        db.connection.close()


def new_migration(backend: str, name: str, directory: Path | None = None) -> tuple[Path, Path]:
    """Create the next numbered pair of empty migration files (apply and rollback) for `backend`."""
    if not _NAME.match(name):
        raise ConfigurationError("migration name", name, "lower-case words joined by '-', such as 'add-fees'")
    target = directory or migrations_dir(backend)
    numbers = [_number(p.name) for p in target.glob("*.sql") if p.name[:1].isdigit()]
    stem = f"{max(numbers, default=0) + 1:04d}.{name}"
    created = datetime.now(UTC).isoformat(timespec="seconds")
    apply_file, rollback_file = target / f"{stem}.sql", target / f"{stem}.rollback.sql"
    depends = sorted(
        {p.name.removesuffix(".sql") for p in target.glob("*.sql") if not p.name.endswith(".rollback.sql")}
    )
    header = f"-- {stem} ({backend}), created {created}\n"
    if depends:
        header += f"-- depends: {depends[-1]}\n"
    apply_file.write_text(header + "\n")
    rollback_file.write_text(f"-- rollback of {stem}\n\n")
    return apply_file, rollback_file
