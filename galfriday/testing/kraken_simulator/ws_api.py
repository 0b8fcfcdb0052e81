"""The WebSocket v2 endpoints: a public one and an authenticated one on the same server.

On connect a `status` message; then requests by `method`: `ping`, `subscribe`, `unsubscribe`, and on the
authenticated endpoint `add_order`, `cancel_order`, `cancel_all` and `cancel_all_orders_after`. Every
response echoes `req_id` and carries `time_in`/`time_out`. Executions that happen while a client is away
are not replayed: a new subscription sees only the snapshot it asks for.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from galfriday.testing.kraken_simulator import ws_format
from galfriday.testing.kraken_simulator.chaos import Chaos, Target
from galfriday.testing.kraken_simulator.connection import Connection
from galfriday.testing.kraken_simulator.errors import KrakenError
from galfriday.testing.kraken_simulator.order_params import check_userref, from_ws
from galfriday.testing.kraken_simulator.params import Params
from galfriday.testing.kraken_simulator.records import (
    LedgerEvent,
    MarketEvent,
    OrderEvent,
    SimEvent,
    StatusEvent,
)
from galfriday.testing.kraken_simulator.state import SimulatorState
from galfriday.testing.kraken_simulator.wire import rfc3339_seconds
from galfriday.testing.kraken_simulator.ws_channels import Channels
from galfriday.testing.kraken_simulator.ws_messages import ack

TRADING_METHODS = ("add_order", "cancel_order", "cancel_all", "cancel_all_orders_after")


class WsApi:
    """Accepts WebSocket connections and serves them from the simulator's state."""

    def __init__(
        self, state: SimulatorState, *, heartbeat_interval: float = 1.0, idle_timeout: float | None = 60.0
    ) -> None:
        self.state = state
        self.connections: list[Connection] = []
        self.chaos = Chaos(self._targets)
        self.channels = Channels(state)
        self._heartbeat_interval = heartbeat_interval
        self._idle_timeout = idle_timeout
        self._stop_listening = state.listen(self.on_event)

    def _targets(self) -> list[Target]:
        return list(self.connections)

    async def handle(self, request: web.Request, *, private: bool) -> web.StreamResponse:
        """Serve one connection until it closes."""
        if not self.chaos.accepting():
            return web.Response(status=503, text="Service Unavailable")
        ws = web.WebSocketResponse(max_msg_size=1 << 20)
        transport = request.transport
        await ws.prepare(request)
        conn = Connection(
            ws,
            transport,
            connection_id=self.state.ids.connection_id(),
            private=private,
            chaos=self.chaos,
            heartbeat_interval=self._heartbeat_interval,
            idle_timeout=self._idle_timeout,
        )
        self.connections.append(conn)
        conn.send(ws_format.status(conn.connection_id, self.state.system))
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    conn.received()
                    self.on_message(conn, message.data)
        finally:
            self.connections.remove(conn)
            await conn.close()
        return ws

    async def close(self) -> None:
        self._stop_listening()
        for conn in list(self.connections):
            await conn.close()

    # --- requests -----------------------------------------------------------------------------------

    def on_message(self, conn: Connection, text: str) -> None:
        time_in = self.state.clock.now()
        try:
            message = json.loads(text, parse_float=Decimal)
        except ValueError:
            message = None
        req_id = message.get("req_id") if isinstance(message, dict) else None
        params = message.get("params", {}) if isinstance(message, dict) else None
        if not isinstance(message, dict) or not isinstance(params, dict) or not _valid_req_id(req_id):
            conn.send(self._error("", None, time_in, "Malformed request"))
            return
        method = message.get("method")
        if method == "ping":
            conn.send(self._pong(req_id, time_in))
        elif method == "subscribe":
            self.channels.subscribe(conn, params, req_id, time_in)
        elif method == "unsubscribe":
            self.channels.unsubscribe(conn, params, req_id, time_in)
        elif method in TRADING_METHODS and conn.private:
            self._trade(conn, str(method), params, req_id, time_in)
        else:
            conn.send(self._error(str(method), req_id, time_in, "Method not supported"))

    def _pong(self, req_id: int | None, time_in: datetime) -> dict[str, Any]:
        message = ack("pong", req_id, time_in, self.state.clock.now())
        message.pop("result")
        message.pop("success")
        return message

    def _trade(
        self, conn: Connection, method: str, params: dict[str, Any], req_id: int | None, time_in: datetime
    ) -> None:
        state = self.state
        try:
            self.state.tick()
            account = state.account(self.channels.authorize(conn, params.get("token")))
            if method == "add_order":
                request, validate = from_ws(Params(params), state.catalog, time_in)
                if validate:
                    state.check_order(account, request)
                    result: dict[str, Any] = {"order_id": "", "validated": True}
                else:
                    order = state.add_order(account, request)
                    result = {"order_id": order.txid}
                if request.cl_ord_id is not None:
                    result["cl_ord_id"] = request.cl_ord_id
                elif "order_userref" in params:
                    result["order_userref"] = request.userref
                results: list[dict[str, Any]] = [result]
            elif method == "cancel_order":
                results = self._cancel(account.name, params)
            elif method == "cancel_all":
                results = [{"count": state.cancel_all(account)}]
            else:
                timeout = Params(params).integer("timeout")
                if timeout is None or not 0 <= timeout < 86400:
                    raise KrakenError("EGeneral:Invalid arguments:timeout")
                now, trigger = state.cancel_all_after(account, timeout)
                results = [{"currentTime": rfc3339_seconds(now), "triggerTime": _trigger(trigger)}]
        except KrakenError as exc:
            conn.send(self._error(method, req_id, time_in, exc.message))
            return
        for result in results:
            conn.send(ack(method, req_id, time_in, state.clock.now(), result=result))

    def _cancel(self, account_name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One result per cancelled order, by order_id, cl_ord_id or order_userref lists."""
        account = self.state.account(account_name)
        wanted = Params(params)
        references = [*wanted.items("order_id"), *wanted.items("cl_ord_id")]
        try:
            userrefs = [check_userref(int(ref), "order_userref") for ref in wanted.items("order_userref")]
        except ValueError:
            raise KrakenError("EGeneral:Invalid arguments:order_userref") from None
        references += [str(ref) for ref in userrefs]
        if not references:
            raise KrakenError("EGeneral:Invalid arguments:order_id")
        results: list[dict[str, Any]] = []
        for reference in references:
            matching = [
                o
                for o in account.open_orders()
                if reference in (o.txid, o.request.cl_ord_id) or reference == str(o.request.userref)
            ]
            self.state.cancel_order(account, reference)
            results.extend({"order_id": o.txid, **_client_id(o.request.cl_ord_id)} for o in matching)
        return results

    def _error(self, method: str, req_id: int | None, time_in: datetime, error: str) -> dict[str, Any]:
        message = ack(method, req_id, time_in, self.state.clock.now(), error=error)
        if not method:
            message.pop("method")
        return message

    # --- events -------------------------------------------------------------------------------------

    def on_event(self, event: SimEvent) -> None:
        connections = list(self.connections)
        if isinstance(event, OrderEvent):
            self.channels.order_event(connections, event)
        elif isinstance(event, LedgerEvent):
            self.channels.ledger_event(connections, event)
        elif isinstance(event, MarketEvent):
            self.channels.market_event(connections, event)
        elif isinstance(event, StatusEvent):
            for conn in connections:
                conn.send(ws_format.status(conn.connection_id, event.system))


def _valid_req_id(req_id: object) -> bool:
    return req_id is None or (isinstance(req_id, int) and not isinstance(req_id, bool))


def _trigger(trigger: datetime | None) -> str:
    return "0" if trigger is None else rfc3339_seconds(trigger)


def _client_id(cl_ord_id: str | None) -> dict[str, str]:
    return {} if cl_ord_id is None else {"cl_ord_id": cl_ord_id}
