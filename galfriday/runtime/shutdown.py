"""What a shutdown of `galfriday run` achieved, and the one line the process logs about it."""

from __future__ import annotations

import attrs
from attrs import frozen


@frozen
class ShutdownReport:
    """How a shutdown went; `clean` when nothing was cut short and every accepted event was applied."""

    accepted: int
    applied: int
    backlog: int
    cancelled: tuple[str, ...]
    seconds: float
    adapters_closed: bool = True
    applied_by_topic: dict[str, int] = attrs.field(factory=dict)
    rejected: int = 0
    """Accepted events the domain refused (skipped, alerted, reconciled); not a sign of an unclean shutdown."""

    @property
    def clean(self) -> bool:
        return not self.cancelled and self.backlog == 0 and self.adapters_closed

    def summary(self) -> str:
        cut = f"; cancelled: {', '.join(self.cancelled)}" if self.cancelled else ""
        closed = "" if self.adapters_closed else "; adapters did not close in time"
        rejected = f"; {self.rejected} rejected" if self.rejected else ""
        topics = ", ".join(f"{topic} {count}" for topic, count in sorted(self.applied_by_topic.items()))
        return (
            f"shutdown {'complete' if self.clean else 'INCOMPLETE'} in {self.seconds:.3f} s: "
            f"intake accepted {self.accepted} events, applied {self.applied} ({topics or 'none'}), "
            f"backlog {self.backlog}{rejected}{cut}{closed}"
        )
