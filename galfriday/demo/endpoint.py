"""What an operator's probe sees: the runtime's own `/health` endpoint, read over HTTP as a load balancer would."""

from __future__ import annotations

from typing import Any

import aiohttp

from galfriday.demo.session import DemoSession


async def health(session: DemoSession) -> tuple[int, dict[str, Any]]:
    """`GET /health`: the status code and the JSON body."""
    async with aiohttp.ClientSession() as http, http.get(f"{session.runtime.http.url}/health") as response:
        body: dict[str, Any] = await response.json()
        return response.status, body


def describe(status: int, body: dict[str, Any]) -> str:
    """One line: healthy or not, the stream, the last reconciliation and who holds new orders back."""
    stream = body["stream"]
    run = body.get("last_reconciliation")
    last = "none" if run is None else f"{run['kind']} {run['status']}, {run['discrepancies_found']} found"
    holds = body["order_gate"]["holds"]
    gate = "open" if not holds else "closed by " + "; ".join(f"{k}: {v}" for k, v in holds.items())
    return (
        f"GET /health: {status}, {'healthy' if body['healthy'] else 'unhealthy'}; stream "
        f"{'healthy' if stream['healthy'] else stream['reason']} ({stream['reconnects']} reconnects); "
        f"last reconciliation {last}; order gate {gate}"
    )
