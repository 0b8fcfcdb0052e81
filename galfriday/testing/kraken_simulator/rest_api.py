"""The REST API at `/0/public/<Method>` and `/0/private/<Method>`, with Kraken's envelope:
`{"error": [], "result": {...}}` on success, `{"error": ["<message>"]}` on failure, HTTP 200 either way.

A private call is checked in Kraken's order: API-Key (`EAPI:Invalid key`), API-Sign over the exact body
(`EAPI:Invalid signature`), a nonce above every earlier one of that key (`EAPI:Invalid nonce`), then the
call-rate counter (`EAPI:Rate limit exceeded`). Bodies are form-encoded, or JSON when the Content-Type
says so.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from galfriday.adapters.kraken.signing import verify
from galfriday.errors import ConfigurationError
from galfriday.testing.kraken_simulator import rest_private, rest_public
from galfriday.testing.kraken_simulator.chaos import Chaos
from galfriday.testing.kraken_simulator.errors import KrakenError
from galfriday.testing.kraken_simulator.params import Params
from galfriday.testing.kraken_simulator.ratelimit import RestRateLimiter
from galfriday.testing.kraken_simulator.records import Account
from galfriday.testing.kraken_simulator.state import SimulatorState
from galfriday.testing.kraken_simulator.wire import dumps

MAX_NONCE = 2**64 - 1


def envelope(result: Any = None, error: str | None = None, *, status: int = 200) -> web.Response:
    payload: dict[str, Any] = {"error": [error]} if error is not None else {"error": [], "result": result}
    return web.Response(text=dumps(payload), status=status, content_type="application/json")


class RestApi:
    """Answers Kraken's public and private REST methods from the simulator's state."""

    def __init__(self, state: SimulatorState, chaos: Chaos, limiter: RestRateLimiter) -> None:
        self.state = state
        self.chaos = chaos
        self.limiter = limiter

    async def public(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fault = self.chaos.rest_fault(method)
        if fault is not None:
            return envelope(error=fault.error, status=fault.status)
        endpoint = rest_public.ENDPOINTS.get(method)
        if endpoint is None:
            return envelope(error="EGeneral:Unknown method")
        try:
            params = Params(dict(request.query))
            if request.method == "POST" and request.can_read_body:
                params = await _body_params(request, await request.read())
            return envelope(endpoint(self.state, params))
        except KrakenError as exc:
            return envelope(error=exc.message)

    async def private(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method != "POST":
            return envelope(error="EGeneral:Invalid arguments")
        body = await request.read()
        fault = self.chaos.rest_fault(method)
        if fault is not None:
            return envelope(error=fault.error, status=fault.status)
        try:
            account, params = await self._authenticate(request, method, body)
            endpoint = rest_private.ENDPOINTS.get(method)
            if endpoint is None:
                raise KrakenError("EGeneral:Unknown method")
            self.state.tick()
            return envelope(endpoint(self.state, account, params))
        except KrakenError as exc:
            return envelope(error=exc.message)

    async def _authenticate(self, request: web.Request, method: str, body: bytes) -> tuple[Account, Params]:
        account = self.state.account_for_key(request.headers.get("API-Key", ""))
        if account is None:
            raise KrakenError("EAPI:Invalid key")
        params = await _body_params(request, body)
        nonce_text = params.text("nonce")
        if not nonce_text:
            raise KrakenError("EAPI:Invalid nonce")
        if not _signed(request, body, nonce_text, account):
            raise KrakenError("EAPI:Invalid signature")
        if not nonce_text.isdigit() or int(nonce_text) > MAX_NONCE:
            raise KrakenError("EAPI:Invalid nonce")
        if not self.state.accept_nonce(account, int(nonce_text)):
            raise KrakenError("EAPI:Invalid nonce")
        if not self.limiter.allow(account.api_key, method, self.state.clock.now()):
            raise KrakenError("EAPI:Rate limit exceeded")
        return account, params


def _signed(request: web.Request, body: bytes, nonce: str, account: Account) -> bool:
    signature = request.headers.get("API-Sign", "")
    try:
        return verify(request.rel_url.raw_path, body, nonce, account.api_secret, signature)
    except (ConfigurationError, UnicodeError):
        return False


async def _body_params(request: web.Request, body: bytes) -> Params:
    if request.content_type == "application/json":
        return Params.from_json(body)
    try:
        return Params.from_form(body.decode())
    except UnicodeDecodeError:
        raise KrakenError("EGeneral:Invalid arguments") from None
