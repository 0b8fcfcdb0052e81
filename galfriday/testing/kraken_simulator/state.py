"""The simulator's authoritative state: accounts and API keys, nonces, WebSocket tokens, orders matched by
the memory matching engine, fills, balances and the public tape. Synchronous and free of I/O: the REST and
WebSocket layers call it and listen to the events it publishes.

Each fill gets a trade txid (`exec_id`, `T...`), two ledger entries (base and quote, fee on the quote) and a
per-book integer `trade_id` shared with the public `trade` channel. Events publish in the order Kraken
streams them: `pending_new`, `new`, then per fill the `trade` execution and its ledger entries, then
`filled` or `canceled`, then the public market change.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from galfriday.adapters.memory.matching import FeeSchedule, Fill, MatchingEngine, MatchResult
from galfriday.domain.amounts import ZERO
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import TimeInForce
from galfriday.ports.clock import Clock
from galfriday.testing.kraken_simulator.catalog import Catalog, KrakenPair
from galfriday.testing.kraken_simulator.depth import Depth
from galfriday.testing.kraken_simulator.errors import KrakenError
from galfriday.testing.kraken_simulator.funds import Hold, fee_for, round_to
from galfriday.testing.kraken_simulator.ids import IdFactory
from galfriday.testing.kraken_simulator.records import (
    Account,
    LedgerEntry,
    LedgerEvent,
    MarketEvent,
    OrderEvent,
    OrderRequest,
    OrderState,
    PublicTrade,
    SimEvent,
    SimOrder,
    SimTrade,
    StatusEvent,
    WsToken,
)

TAPE_LENGTH = 100_000
"""Public trades remembered per symbol (for `trade` snapshots, tickers and candles)."""

SYSTEM_STATUSES = ("online", "maintenance", "cancel_only", "post_only")

REASON_USER = "User requested"
REASON_DEADMAN = "Cancel all orders after timeout"
REASON_EXPIRED = "Order expired"
REASON_POST_ONLY = "Post only order"
_ENGINE_REASONS = {
    "self-trade prevented": "Self trade prevented",
    "market order: no more liquidity": "Insufficient liquidity",
    "immediate-or-cancel remainder": "Unfilled IOC remainder",
}

Listener = Callable[[SimEvent], None]


class SimulatorState:
    """Accounts, orders and market of one simulated Kraken."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        clock: Clock,
        ids: IdFactory,
        maker_fee: Decimal = Decimal("0.0016"),
        taker_fee: Decimal = Decimal("0.0026"),
        token_ttl: int = 900,
        max_open_orders: int | None = None,
    ) -> None:
        self.catalog = catalog
        self.clock = clock
        self.ids = ids
        self.fees = FeeSchedule(maker=maker_fee, taker=taker_fee)
        self.engine = MatchingEngine(catalog.symbols, self.fees)
        self.token_ttl = token_ttl
        self.max_open_orders = max_open_orders
        self.system = "online"
        self.accounts: dict[str, Account] = {}
        self.tape: dict[str, deque[PublicTrade]] = {s: deque(maxlen=TAPE_LENGTH) for s in catalog.symbols}
        self._by_key: dict[str, Account] = {}
        self._tokens: dict[str, WsToken] = {}
        self._holds: dict[str, Hold] = {}
        self._owners: dict[str, str] = {}
        self._external: dict[str, str] = {}
        self._trade_ids = dict.fromkeys(catalog.symbols, 0)
        self.depth = {symbol: Depth() for symbol in catalog.symbols}
        self._listeners: list[Listener] = []

    # --- listeners --------------------------------------------------------------------------------

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event from now on; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, event: SimEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # --- accounts, keys, nonces, tokens -------------------------------------------------------------

    def add_account(
        self, name: str, api_key: str, api_secret: str, balances: Mapping[str, Decimal | int | str] = {}
    ) -> Account:
        """A new account reachable with `api_key`; balances by any asset name (`BTC`, `XBT`, `XXBT`)."""
        if name in self.accounts or api_key in self._by_key:
            raise ValueError(f"account {name!r} or its API key is already registered")
        account = Account(name=name, api_key=api_key, api_secret=api_secret)
        for asset in self.catalog.assets:
            account.totals.setdefault(asset.code, ZERO)
        self.accounts[name] = self._by_key[api_key] = account
        for asset_name, value in balances.items():
            self.deposit(name, asset_name, Decimal(value))
        return account

    def account(self, name: str) -> Account:
        try:
            return self.accounts[name]
        except KeyError:
            raise KeyError(f"no account {name!r}; known: {sorted(self.accounts)}") from None

    def account_for_key(self, api_key: str) -> Account | None:
        return self._by_key.get(api_key)

    def accept_nonce(self, account: Account, nonce: int) -> bool:
        """Whether `nonce` exceeds every nonce this key used before; remembers it if so."""
        if account.last_nonce is not None and nonce <= account.last_nonce:
            return False
        account.last_nonce = nonce
        return True

    def issue_token(self, account: Account) -> WsToken:
        token = WsToken(self.ids.token(), account.name, self.clock.now(), self.token_ttl)
        self._tokens[token.token] = token
        return token

    def token(self, value: object) -> WsToken | None:
        """The token `value` names if it exists and is still within its time to use, else None."""
        token = self._tokens.get(value) if isinstance(value, str) else None
        if token is None or self.clock.now() >= token.created_at + timedelta(seconds=token.ttl):
            return None
        return token

    def known_token(self, value: object) -> WsToken | None:
        """The token `value` names, expired or not (a connection keeps a token it used in time)."""
        return self._tokens.get(value) if isinstance(value, str) else None

    def deposit(self, account_name: str, asset_name: str, amount: Decimal) -> LedgerEntry:
        """Credit (or, negative, debit) an account outside trading: a `deposit` ledger entry."""
        account = self.account(account_name)
        asset = self.catalog.asset(asset_name)
        balance = account.totals.get(asset.code, ZERO) + amount
        if balance < account.held.get(asset.code, ZERO):
            raise ValueError(f"{account_name}: {amount} {asset.code} would leave less than open orders hold")
        account.totals[asset.code] = balance
        entry = LedgerEntry(
            self.ids.txid("L"),
            self.ids.txid("Q"),
            self.clock.now(),
            "deposit",
            asset.code,
            amount,
            ZERO,
            balance,
        )
        account.ledger.append(entry)
        self._emit(LedgerEvent(account.name, entry))
        return entry

    def set_system(self, status: str) -> None:
        """Move the engine to `online`, `maintenance`, `cancel_only` or `post_only`; announced on `status`."""
        if status not in SYSTEM_STATUSES:
            raise ValueError(f"system status {status!r}; expected one of {SYSTEM_STATUSES}")
        self.system = status
        self._emit(StatusEvent(status, self.clock.now()))

    # --- orders -------------------------------------------------------------------------------------

    def check_order(self, account: Account, request: OrderRequest) -> tuple[KrakenPair, Hold]:
        """Every check AddOrder makes (`validate=true` stops here); the pair and what the order would hold."""
        if self.system == "maintenance":
            raise KrakenError("EService:Unavailable")
        if self.system == "cancel_only":
            raise KrakenError("EService:Market in cancel_only mode")
        if self.system == "post_only" and not request.post_only:
            raise KrakenError("EService:Market in post_only mode")
        pair = self.catalog.pair(request.symbol)
        _check_amounts(pair, request)
        if request.cl_ord_id is not None and any(
            o.request.cl_ord_id == request.cl_ord_id for o in account.open_orders()
        ):
            raise KrakenError("EGeneral:Invalid arguments:cl_ord_id already used by an open order")
        if self.max_open_orders is not None and (
            sum(1 for o in account.open_orders() if o.symbol == pair.symbol) >= self.max_open_orders
        ):
            raise KrakenError("EOrder:Orders limit exceeded")
        hold = self._hold_for(account, pair, request)
        if hold.amount > account.available(hold.asset):
            raise KrakenError("EOrder:Insufficient funds")
        return pair, hold

    def add_order(self, account: Account, request: OrderRequest) -> SimOrder:
        """Place, acknowledge and match an order; returns it as it stands afterwards."""
        pair, hold = self.check_order(account, request)
        now = self.clock.now()
        order = SimOrder(self.ids.txid("O"), account.name, self.ids.txid("T"), request, now)
        account.orders[order.txid] = order
        self._owners[order.txid] = account.name
        self._holds[order.txid] = hold
        account.held[hold.asset] = account.held.get(hold.asset, ZERO) + hold.amount
        self._emit(OrderEvent(account.name, "pending_new", order, now))
        order = self._store(attrs.evolve(order, state=OrderState.OPEN))
        self._emit(OrderEvent(account.name, "new", order, now))
        if request.post_only and self._crosses(pair.symbol, request):
            self._close(order, OrderState.CANCELED, now, REASON_POST_ONLY)
            return account.orders[order.txid]
        result = self.engine.submit(
            pair.symbol,
            order.txid,
            request.side,
            request.volume,
            price=request.price,
            time_in_force=TimeInForce.IOC if request.time_in_force == "IOC" else TimeInForce.GTC,
            owner=account.name,
        )
        self._after_match(result, pair, request, now)
        return account.orders[order.txid]

    def cancel_order(self, account: Account, reference: str) -> int:
        """Cancel by txid, cl_ord_id or userref; `EOrder:Unknown order` if nothing open matches."""
        orders = [
            order
            for order in account.open_orders()
            if reference in (order.txid, order.request.cl_ord_id) or reference == str(order.request.userref)
        ]
        if not orders:
            raise KrakenError("EOrder:Unknown order")
        self._cancel(orders, REASON_USER)
        return len(orders)

    def cancel_all(self, account: Account) -> int:
        orders = account.open_orders()
        self._cancel(orders, REASON_USER)
        return len(orders)

    def cancel_all_after(self, account: Account, timeout: int) -> tuple[datetime, datetime | None]:
        """Arm the dead-man's switch `timeout` seconds from now (0 disarms); (now, trigger time)."""
        if self.system == "maintenance":
            raise KrakenError("EService:Unavailable")
        now = self.clock.now()
        account.deadline = None if timeout == 0 else now + timedelta(seconds=timeout)
        return now, account.deadline

    def tick(self) -> None:
        """Fire dead-man's switches whose time has come and expire good-till-date orders."""
        now = self.clock.now()
        for account in self.accounts.values():
            if account.deadline is not None and account.deadline <= now:
                account.deadline = None
                self._cancel(account.open_orders(), REASON_DEADMAN)
            expired = [
                o
                for o in account.open_orders()
                if o.request.expire_at is not None and o.request.expire_at <= now
            ]
            self._cancel(expired, REASON_EXPIRED, OrderState.EXPIRED)

    # --- other traders ------------------------------------------------------------------------------

    def external_order(
        self, symbol: str, side: OrderSide, price: Decimal, volume: Decimal, *, immediate: bool
    ) -> tuple[str, Decimal]:
        """Another trader's limit order (IOC if `immediate`); returns its id and the volume it traded."""
        pair = self.catalog.pair(symbol)
        request = OrderRequest(pair.symbol, side, "limit", volume, price)
        _check_amounts(pair, request, minimum=False)
        now = self.clock.now()
        order_id = self.ids.txid("O")
        result = self.engine.submit(
            pair.symbol,
            order_id,
            side,
            volume,
            price=price,
            time_in_force=TimeInForce.IOC if immediate else TimeInForce.GTC,
        )
        if result.resting:
            self._external[order_id] = pair.symbol
        self._after_match(result, pair, request, now)
        return order_id, result.filled

    def cancel_external(self, order_id: str) -> bool:
        symbol = self._external.pop(order_id, None)
        if symbol is None or not self._take_off(symbol, order_id):
            return False
        self._emit(MarketEvent(symbol, (), self.clock.now()))
        return True

    def external_orders(self, symbol: str) -> list[str]:
        book = self.engine.book(symbol)
        return [order_id for order_id, s in self._external.items() if s == symbol and order_id in book]

    # --- matching and settlement ----------------------------------------------------------------------

    def _after_match(
        self, result: MatchResult, pair: KrakenPair, request: OrderRequest, now: datetime
    ) -> None:
        depth = self.depth[pair.symbol]
        for fill in result.fills:
            depth.remove(fill.maker_side, fill.price, fill.quantity)
        if result.resting and request.price is not None:
            depth.add(request.side, request.price, result.resting)
        public = tuple(self._settle_fill(fill, pair, request.order_type, now) for fill in result.fills)
        taker = self._owners.get(result.order_id)
        if taker is not None and result.canceled:
            order = self.accounts[taker].orders[result.order_id]
            self._close(
                order, OrderState.CANCELED, now, _ENGINE_REASONS.get(result.reason or "", result.reason)
            )
        self._emit(MarketEvent(pair.symbol, public, now))

    def _settle_fill(self, fill: Fill, pair: KrakenPair, order_type: str, now: datetime) -> PublicTrade:
        self._trade_ids[pair.symbol] += 1
        trade_id = self._trade_ids[pair.symbol]
        public = PublicTrade(
            pair.symbol, fill.taker_side, fill.price, fill.quantity, order_type, trade_id, now
        )
        self.tape[pair.symbol].append(public)
        for order_id, maker in ((fill.taker_order_id, False), (fill.maker_order_id, True)):
            owner = self._owners.get(order_id)
            if owner is not None:
                self._settle_order(self.accounts[owner].orders[order_id], fill, pair, maker, trade_id, now)
            elif maker and fill.maker_remaining == 0:
                self._external.pop(order_id, None)
        return public

    def _settle_order(
        self, order: SimOrder, fill: Fill, pair: KrakenPair, maker: bool, trade_id: int, now: datetime
    ) -> None:
        account = self.accounts[order.account]
        cost = fill.cost
        fee = fee_for(self.fees, pair.quote, cost, maker)
        quote_amount = round_to(pair.quote, cost)
        sign = 1 if order.side is OrderSide.BUY else -1
        exec_id = self.ids.txid("T")
        base_entry = self._book_entry(account, exec_id, pair.base.code, sign * fill.quantity, ZERO, now)
        quote_entry = self._book_entry(account, exec_id, pair.quote.code, -sign * quote_amount, fee, now)
        trade = SimTrade(
            exec_id=exec_id,
            order_txid=order.txid,
            postxid=order.postxid,
            account=account.name,
            symbol=pair.symbol,
            side=order.side,
            order_type=order.request.order_type,
            price=fill.price,
            volume=fill.quantity,
            fee=fee,
            fee_asset=pair.quote.code,
            maker=maker,
            trade_id=trade_id,
            time=now,
            cl_ord_id=order.request.cl_ord_id,
            userref=order.request.userref,
            ledger_ids=(base_entry.ledger_id, quote_entry.ledger_id),
        )
        hold = self._holds[order.txid]
        charged = quote_amount + fee if order.side is OrderSide.BUY else fill.quantity
        account.held[hold.asset] -= hold.release_for(fill.quantity, charged)
        account.trades.append(trade)
        order = self._store(
            attrs.evolve(
                order,
                vol_exec=order.vol_exec + fill.quantity,
                cost=order.cost + cost,
                fee=order.fee + fee,
                trades=(*order.trades, trade.exec_id),
            )
        )
        self._emit(OrderEvent(account.name, "trade", order, now, trade))
        for entry in (base_entry, quote_entry):
            self._emit(LedgerEvent(account.name, entry))
        if order.remaining == 0:
            self._close(order, OrderState.CLOSED, now, None)

    def _book_entry(
        self, account: Account, ref_id: str, asset: str, amount: Decimal, fee: Decimal, now: datetime
    ) -> LedgerEntry:
        """Apply a trade ledger entry (amount, then fee) to the account and remember it."""
        balance = account.totals.get(asset, ZERO) + amount - fee
        account.totals[asset] = balance
        entry = LedgerEntry(self.ids.txid("L"), ref_id, now, "trade", asset, amount, fee, balance)
        account.ledger.append(entry)
        return entry

    def _cancel(self, orders: list[SimOrder], reason: str, state: OrderState = OrderState.CANCELED) -> None:
        now = self.clock.now()
        symbols: list[str] = []
        for order in orders:
            self._take_off(order.symbol, order.txid)
            self._close(order, state, now, reason)
            symbols.append(order.symbol)
        for symbol in dict.fromkeys(symbols):
            self._emit(MarketEvent(symbol, (), now))

    def _close(self, order: SimOrder, state: OrderState, now: datetime, reason: str | None) -> None:
        account = self.accounts[order.account]
        hold = self._holds.pop(order.txid)
        account.held[hold.asset] -= hold.release_all()
        order = self._store(attrs.evolve(order, state=state, closed_at=now, reason=reason))
        exec_type = "filled" if state is OrderState.CLOSED else state.value
        self._emit(OrderEvent(account.name, exec_type, order, now))

    def _take_off(self, symbol: str, order_id: str) -> bool:
        """Remove a resting order from the book and the depth; False if it was not resting."""
        resting = self.engine.cancel(symbol, order_id)
        if resting is None:
            return False
        self.depth[symbol].remove(resting.side, resting.price, resting.remaining)
        return True

    def _store(self, order: SimOrder) -> SimOrder:
        self.accounts[order.account].orders[order.txid] = order
        return order

    def _crosses(self, symbol: str, request: OrderRequest) -> bool:
        best = self.engine.book(symbol).best(
            OrderSide.SELL if request.side is OrderSide.BUY else OrderSide.BUY
        )
        if best is None or request.price is None:
            return best is not None
        return best <= request.price if request.side is OrderSide.BUY else best >= request.price

    def _hold_for(self, account: Account, pair: KrakenPair, request: OrderRequest) -> Hold:
        if request.side is OrderSide.SELL:
            return Hold(pair.base.code, request.volume, Decimal(1))
        if request.price is not None:
            per_unit = request.price * (1 + max(self.fees.maker, self.fees.taker))
            return Hold(pair.quote.code, request.volume * per_unit, per_unit)
        walk = self.engine.preview(pair.symbol, OrderSide.BUY, request.volume, owner=account.name)
        cost = sum((price * volume for price, volume in walk), ZERO)
        return Hold(
            pair.quote.code, round_to(pair.quote, cost) + fee_for(self.fees, pair.quote, cost, False), None
        )

    # --- reading ------------------------------------------------------------------------------------

    def order_owner(self, txid: str) -> str | None:
        return self._owners.get(txid)

    def hold(self, txid: str) -> Hold | None:
        return self._holds.get(txid)

    def usd_value(self, asset: str, amount: Decimal) -> Decimal:
        """`amount` of `asset` in USD at the last trade price (`fee_usd_equiv`); 0 when unknown."""
        if asset == "USD":
            return amount
        tape = self.tape.get(f"{asset}/USD")
        if not tape:
            return ZERO
        return (amount * tape[-1].price).quantize(Decimal("0.0001"))


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _check_amounts(pair: KrakenPair, request: OrderRequest, *, minimum: bool = True) -> None:
    """Volume and price against the pair's lot and tick precision, order minimum and cost minimum."""
    if not request.volume.is_finite() or request.volume <= 0 or _decimals(request.volume) > pair.lot_decimals:
        raise KrakenError("EGeneral:Invalid arguments:volume")
    if minimum and request.volume < pair.ordermin:
        raise KrakenError("EOrder:Order minimum not met")
    if request.price is None:
        return
    if not request.price.is_finite() or request.price <= 0:
        raise KrakenError("EGeneral:Invalid arguments:price")
    if _decimals(request.price) > pair.pair_decimals:
        raise KrakenError(
            f"EOrder:Invalid price:{pair.altname} price can only be specified up to "
            f"{pair.pair_decimals} decimals."
        )
    if minimum and request.price * request.volume < pair.costmin:
        raise KrakenError("EOrder:Cost minimum not met")
