"""`galfriday demo` (what `make demo` runs): the main job end to end, in one process, on embedded defaults.

A Kraken simulator starts in-process; galfriday's runtime (what `galfriday run` runs) starts on it with the
Kraken adapter (REST + WebSocket v2) and the configured store (a fresh SQLite file by default). The scenario
(`scenario.play`) places orders that other traders fill, drops the connection while more fills happen, injects
a discrepancy on each side for reconciliation, runs a shadow A/B experiment between two small ONNX models, and
ends with a summary and checks against the simulator's truth; `run_demo` is False if any check failed.

Modules: `configuration` (the demo's config), `session` (simulator, app and runtime lifecycle), `trading`,
`outage`, `discrepancy`, `experiment` (the steps), `results` (checks), `tables` and `progress` (what is shown).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from galfriday.config import Config
from galfriday.demo.progress import Narrator
from galfriday.demo.results import checks_table, restart_check, shutdown_check
from galfriday.demo.scenario import STEPS, play
from galfriday.demo.session import DemoFailedError, reopened, running_demo
from galfriday.demo.trading import StoredState

__all__ = ["DemoFailedError", "run_demo"]

LOG_FILE = "galfriday-demo.log"


@contextmanager
def logs_to(path: Path) -> Iterator[None]:
    """galfriday's log lines go to `path` while the demo runs, so the console shows only the story."""
    logger = logging.getLogger("galfriday")
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


async def run_demo(config: Config, console: Console, workdir: Path | None = None) -> bool:
    """Run the scenario on `config`'s store (everything else is the demo's); True when every check passed."""
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="galfriday-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    say = Narrator(console, STEPS)
    started = time.monotonic()
    with logs_to(workdir / LOG_FILE):
        async with running_demo(config, workdir) as session:
            checks, final = await play(session, say)
        checks.append(shutdown_check(session.shutdown))
        orders, executions = await reopened(session.config)
        checks.append(restart_check(StoredState(orders, executions), final))
    say.show(checks_table(checks))
    failed = [c for c in checks if not c.passed]
    seconds = time.monotonic() - started
    if failed:
        console.print(f"[bold red]{len(failed)} of {len(checks)} checks FAILED[/] ({seconds:.1f} s)")
    else:
        console.print(f"[bold green]all {len(checks)} checks passed[/] in {seconds:.1f} s")
    console.print(f"files (store, artifacts, log): {workdir}", highlight=False)
    return not failed
