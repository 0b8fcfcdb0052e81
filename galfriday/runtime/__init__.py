"""`galfriday run`: the long-running process. A supervisor keeps named components alive (order intake,
periodic jobs), an HTTP endpoint serves `/health` and `/metrics`, and SIGINT/SIGTERM shut it down in order.

This package is part of the composition root: it wires services to the adapters the `App` started.
"""

from galfriday.runtime.backoff import Backoff
from galfriday.runtime.component import Component
from galfriday.runtime.supervisor import ComponentState, Supervisor

__all__ = ["Backoff", "Component", "ComponentState", "Supervisor"]
