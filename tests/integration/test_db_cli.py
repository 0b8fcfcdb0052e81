"""`galfriday db`: migrate, status, rollback and new, on the embedded SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from galfriday.adapters.sql.migrations import migrations_dir, new_migration
from galfriday.cli import cli


def run(args: list[str], db_file: Path) -> str:
    env = {"GALFRIDAY_STORE": "sqlite", "GALFRIDAY_STORE_DSN": str(db_file), "GALFRIDAY_DISABLE_PLUGINS": ""}
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    return result.output


def applied(db_file: Path) -> list[bool]:
    return [row["applied"] for row in json.loads(run(["db", "status", "--json"], db_file))]


def test_migrate_applies_every_migration_then_reports_up_to_date(tmp_path: Path) -> None:
    db_file = tmp_path / "g.db"
    assert "applied 0001" in run(["db", "migrate"], db_file)
    assert all(applied(db_file))
    assert "up to date" in run(["db", "migrate"], db_file)


def test_rollback_to_zero_undoes_everything_and_migrate_redoes_it(tmp_path: Path) -> None:
    db_file = tmp_path / "g.db"
    run(["db", "migrate"], db_file)
    assert "rolled back 0001" in run(["db", "rollback", "--to", "0"], db_file)
    assert not any(applied(db_file))
    run(["db", "migrate"], db_file)
    assert all(applied(db_file))


def test_the_memory_store_has_no_schema_to_migrate() -> None:
    result = CliRunner().invoke(cli, ["db", "status"], env={"GALFRIDAY_STORE": "memory"})
    assert result.exit_code != 0
    assert "store.adapter" in str(result.exception) or "store.adapter" in result.output


def test_new_creates_the_next_numbered_pair_of_files(tmp_path: Path) -> None:
    for existing in migrations_dir("sqlite").glob("*.sql"):
        (tmp_path / existing.name).write_text(existing.read_text())
    apply_file, rollback_file = new_migration("sqlite", "add-notes", tmp_path)
    highest = max(int(p.name.split(".")[0]) for p in migrations_dir("sqlite").glob("*.sql"))
    assert apply_file.name == f"{highest + 1:04d}.add-notes.sql"
    assert rollback_file.name == f"{highest + 1:04d}.add-notes.rollback.sql"
    assert "-- depends:" in apply_file.read_text()
