"""`galfriday demo` on Postgres: one configuration line (GALFRIDAY_STORE=postgres, GALFRIDAY_STORE_DSN) moves it
from the embedded SQLite file to a server; the demo migrates the new database itself and every check passes."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from click.testing import CliRunner

from galfriday.cli import cli


def test_the_demo_runs_on_postgres_with_one_configuration_line(empty_dsn: str, tmp_path: Path) -> None:
    env = {
        "GALFRIDAY_DISABLE_PLUGINS": "",
        "GALFRIDAY_CONFIG": None,
        "GALFRIDAY_STORE": "postgres",
        "GALFRIDAY_STORE_DSN": empty_dsn,
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(cli, ["demo", "--workdir", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    assert re.search(r"all \d+ checks passed", result.output)
    database = urlsplit(empty_dsn).path
    assert re.search(rf"store\s+│ postgres \S+{re.escape(database)}", result.output), result.output
    assert not (tmp_path / "galfriday-demo.db").exists()
    with psycopg.connect(empty_dsn) as connection:
        fills = connection.execute("SELECT count(*) FROM executions").fetchone()
        experiments = connection.execute("SELECT status FROM experiments").fetchall()
    assert fills == (6,)
    assert experiments == [("concluded",)]
