"""`galfriday run`: the long-running process. A supervisor keeps named components alive (journal, stream
recovery, prediction log, dead-man's switch, reconciliation, retention, the model pipeline, order intake), an
HTTP endpoint serves `/health` and `/metrics`, and SIGINT/SIGTERM shut it down in order (see `process.py`, and
docs/running.md for operators).

This package is part of the composition root: it wires services to the adapters the `App` started.
"""

from galfriday.runtime.backoff import Backoff
from galfriday.runtime.component import Component
from galfriday.runtime.supervisor import ComponentState, Supervisor

__all__ = ["Backoff", "Component", "ComponentState", "Supervisor"]
