"""The demo's story on a running `DemoSession`: one function per step, each telling what happens and returning
what the summary and the checks need; `play` runs them in order and returns every check."""

from __future__ import annotations

import time
from decimal import Decimal

from galfriday.demo import discrepancy, endpoint, experiment, outage, trading
from galfriday.demo.configuration import MODEL_NAME, SYMBOL
from galfriday.demo.discrepancy import Injected, Reconciled
from galfriday.demo.experiment import ExperimentRun
from galfriday.demo.outage import Recovery
from galfriday.demo.progress import Narrator
from galfriday.demo.results import (
    Check,
    FinalState,
    experiment_checks,
    fill_checks,
    outage_checks,
    reconciliation_checks,
)
from galfriday.demo.session import DemoSession, until
from galfriday.demo.tables import experiment_table, orders_table, summary_table
from galfriday.reconcile_command import report_table

STEPS = 6
PARTIAL = Decimal("0.0040")


async def start(session: DemoSession, say: Narrator) -> None:
    sim, config = session.simulator, session.config
    say.step("galfriday runs on the Kraken simulator")
    say.say(f"Kraken simulator on {sim.rest_url} (REST) and {sim.ws_auth_url} (WebSocket v2)")
    say.say(
        f"galfriday: exchange {config.exchange.adapter}, store {config.store.adapter}, "
        f"models {config.models.runtime}; /health and /metrics on {session.runtime.http.url}"
    )
    with say.waiting("start-up backfill and start-up reconciliation"):
        await trading.trading_allowed(session)
    startup = session.runtime.reconciliation.reports[0]
    say.say(f"start-up backfill done; start-up reconciliation {startup.status.value}: trading may begin")


async def trade(session: DemoSession, say: Narrator) -> None:
    prices, qty = trading.BID_PRICES, trading.QUANTITY
    say.step("Orders placed and filled, executions streamed into the store")
    placed = await trading.place_bids(session)
    say.say(f"{len(placed)} bids of {qty} BTC placed at {prices[0]}..{prices[-1]} USD")
    sales = [(prices[5], qty), (prices[4], qty), (prices[3], qty), (prices[2], PARTIAL)]
    traded = trading.sell_into(session, sales)
    say.say(f"other traders sell {traded} BTC into them: three bids fill, one fills partly")
    with say.waiting("executions arriving on the stream"):
        seconds = await until(lambda: trading.store_has_every_fill(session), "the stream delivers every fill")
    state = await trading.stored(session)
    say.say(f"{len(state.executions)} fills streamed into the store in {seconds:.2f} s")
    say.show(orders_table(state.orders))


async def disconnect(session: DemoSession, say: Narrator) -> tuple[Recovery, int]:
    """The outage and the recovery; also how many fills were made while disconnected."""
    prices, qty = trading.BID_PRICES, trading.QUANTITY
    runtime, sim = session.runtime, session.simulator
    say.step("A disconnect: fills made while nobody is connected")
    backfills_before, runs_before = len(runtime.recovery.reports), len(runtime.reconciliation.reports)
    dropped = await outage.disconnect(session)
    say.say(
        f"the simulator drops {dropped} connection(s) and refuses new ones for {outage.REFUSE_SECONDS:.1f} s"
    )
    fills_before = len(sim.truth().executions)
    trading.sell_into(session, [(prices[2], qty - PARTIAL), (prices[1], qty)])
    missed = len(sim.truth().executions) - fills_before
    say.say(f"meanwhile {missed} more fills happen: the rest of the partly filled bid and the next bid")
    started = time.monotonic()
    with say.waiting("reconnect, REST backfill and the reconnect reconciliation"):
        recovery = await outage.recovered(session, backfills_before=backfills_before, runs_before=runs_before)
    for report in recovery.backfills:
        say.say(
            f"backfill ({report.reason}): {report.executions_seen} fills read, {report.executions_new} new, "
            f"{report.orders_reported} orders reported"
        )
    say.say(
        f"caught up after {time.monotonic() - started:.1f} s (Kraken's REST rate limit paces the backfills and "
        f"reconciliation): {recovery.reconnects:.0f} reconnect(s), "
        f"{recovery.fills_recovered} fills recovered, {recovery.duplicates_ignored} duplicates ignored; "
        f"reconnect reconciliation: {len(recovery.reconciliation.outcomes)} discrepancies"
    )
    say.say(endpoint.describe(*await endpoint.health(session)))
    return recovery, missed


async def discrepancies(session: DemoSession, say: Narrator) -> tuple[Injected, Reconciled]:
    say.step("A discrepancy on each side, found by reconciliation")
    injected = await discrepancy.inject(session)
    credit_asset, credit = discrepancy.UNREPORTED_CREDIT
    edit_asset, edit = discrepancy.BAD_EDIT
    say.say(f"the exchange credits {credit} {credit_asset} without a word on the stream")
    say.say(f"our stored {edit_asset} balance is overwritten with {edit} {edit_asset} too much")
    reconciled = await discrepancy.reconcile_now(session)
    say.show(report_table(reconciled.report))
    for key, reason in reconciled.halt_reasons.items():
        say.say(f"trading halted ({key}): {reason}")
    if reconciled.refused_order:
        say.say(f"a new order is refused before it is sent: {reconciled.refused_order}")
    say.say(endpoint.describe(*await endpoint.health(session)))
    return injected, reconciled


async def ab_test(session: DemoSession, say: Narrator) -> ExperimentRun:
    say.step("A shadow A/B experiment between two small ONNX models")
    candles = experiment.market_history(session.now())
    await experiment.store_candles(session, candles)
    say.say(
        f"{len(candles)} hourly {SYMBOL} candles stored: momentum {experiment.OLD_MOMENTUM} in the old regime, "
        f"{experiment.NEW_MOMENTUM} in the new one"
    )
    with say.waiting("training two models, promoting the control, replaying the last bars"):
        run = await experiment.run_experiment(session, candles)
    say.say(
        f"control v{run.control.version} (production) and candidate v{run.candidate.version} trained by "
        f"{session.config.models.trainer}; {run.requests} requests served by the control, scored in shadow"
    )
    say.show(experiment_table(run))
    say.say(f"conclusion: {run.assessment.conclusion.action}: {'; '.join(run.assessment.conclusion.reasons)}")
    say.say(f"v{run.serving} promoted through the registry's gates and now serves {MODEL_NAME}")
    return run


async def final_state(session: DemoSession) -> FinalState:
    """The store and the simulator's truth, read once the scenario is over."""
    stored = await trading.stored(session)
    async with session.app.store.unit_of_work() as uow:
        position = await uow.positions.get(SYMBOL)
        balances = {b.asset: b for b in await uow.balances.all()}
    return FinalState(stored, position, balances, session.simulator.truth())


async def play(session: DemoSession, say: Narrator) -> tuple[list[Check], FinalState]:
    """Steps 1 to 6: the checks of each step and of the final state, and that state."""
    await start(session, say)
    await trade(session, say)
    recovery, missed = await disconnect(session, say)
    injected, reconciled = await discrepancies(session, say)
    run = await ab_test(session, say)
    final = await final_state(session)
    say.step("Summary")
    say.show(
        summary_table(
            session.config,
            final.stored.orders,
            len(final.stored.executions),
            recovery,
            reconciled,
            run,
            str(session.workdir / "artifacts"),
        )
    )
    checks = [
        *fill_checks(final),
        *outage_checks(recovery, missed),
        *reconciliation_checks(injected, reconciled, final),
        *experiment_checks(run),
    ]
    return checks, final
