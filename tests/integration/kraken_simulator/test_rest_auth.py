"""Private REST calls are authenticated as Kraken does: key, signature, nonce, then the call-rate counter;
every API error is HTTP 200 with `{"error": ["..."]}`."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from kraken_sim_clients import KEY, SECRET, Rest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.testing.kraken_simulator import KrakenSimulator, RateTier


async def test_a_signed_form_request_succeeds(rest: Rest) -> None:
    status, payload = await rest.raw_private("Balance", {})
    assert status == 200
    assert payload["error"] == []
    assert payload["result"]["ZUSD"] == "100000.0000"


async def test_a_signed_json_request_succeeds(rest: Rest) -> None:
    status, payload = await rest.raw_private("Balance", {}, as_json=True)
    assert (status, payload["error"]) == (200, [])


async def test_an_unknown_key_is_refused_with_the_bare_error_envelope(rest: Rest) -> None:
    status, payload = await rest.raw_private("Balance", {}, key="not-a-key")
    assert status == 200
    assert payload == {"error": ["EAPI:Invalid key"]}


async def test_a_signature_made_with_another_secret_is_refused(rest: Rest) -> None:
    other = base64.b64encode(b"another secret" * 4).decode()
    assert await rest.raw_private("Balance", {}, secret=other) == (200, {"error": ["EAPI:Invalid signature"]})


async def test_a_garbage_signature_is_refused(rest: Rest) -> None:
    payload = (await rest.raw_private("Balance", {}, signature="%%%not base64%%%"))[1]
    assert payload == {"error": ["EAPI:Invalid signature"]}


async def test_a_body_changed_after_signing_is_refused(sim: KrakenSimulator, rest: Rest) -> None:
    from galfriday.adapters.kraken.signing import sign

    nonce = rest.next_nonce()
    signed = f"nonce={nonce}"
    headers = {"API-Key": KEY, "API-Sign": sign("/0/private/Balance", signed, nonce, SECRET)}
    body = f"nonce={nonce}&asset=XBT"
    async with rest.session.post(f"{sim.rest_url}/0/private/Balance", data=body, headers=headers) as response:
        payload = json.loads(await response.read())
    assert payload == {"error": ["EAPI:Invalid signature"]}


async def test_a_repeated_nonce_is_refused(rest: Rest) -> None:
    nonce = rest.next_nonce()
    assert (await rest.raw_private("Balance", {}, nonce=nonce))[1]["error"] == []
    assert (await rest.raw_private("Balance", {}, nonce=nonce))[1] == {"error": ["EAPI:Invalid nonce"]}


async def test_a_lower_nonce_is_refused_and_a_higher_one_still_works(rest: Rest) -> None:
    high = rest.next_nonce() + 1000
    assert (await rest.raw_private("Balance", {}, nonce=high))[1]["error"] == []
    assert (await rest.raw_private("Balance", {}, nonce=high - 1))[1] == {"error": ["EAPI:Invalid nonce"]}
    assert (await rest.raw_private("Balance", {}, nonce=high + 1))[1]["error"] == []


async def test_a_missing_or_non_numeric_nonce_is_invalid(sim: KrakenSimulator, rest: Rest) -> None:
    assert (await rest.raw_private("Balance", {}, nonce="abc"))[1] == {"error": ["EAPI:Invalid nonce"]}
    headers = {"API-Key": KEY, "API-Sign": "x"}
    async with rest.session.post(f"{sim.rest_url}/0/private/Balance", data="", headers=headers) as response:
        assert json.loads(await response.read()) == {"error": ["EAPI:Invalid nonce"]}


async def test_a_refused_signature_does_not_burn_the_nonce(rest: Rest) -> None:
    nonce = rest.next_nonce()
    bad = base64.b64encode(b"x" * 64).decode()
    assert (await rest.raw_private("Balance", {}, nonce=nonce, secret=bad))[1]["error"] == [
        "EAPI:Invalid signature"
    ]
    assert (await rest.raw_private("Balance", {}, nonce=nonce))[1]["error"] == []


async def test_nonces_are_tracked_per_key(sim: KrakenSimulator, rest: Rest) -> None:
    other_secret = base64.b64encode(b"second account!!" * 4).decode()
    sim.add_account("second", "second-key", other_secret, {"USD": 5})
    second = Rest(rest.session, sim.rest_url, "second-key", other_secret)
    nonce = rest.next_nonce()
    assert (await rest.raw_private("Balance", {}, nonce=nonce))[1]["error"] == []
    payload = (await second.raw_private("Balance", {}, nonce=nonce))[1]
    assert payload["result"]["ZUSD"] == "5.0000"


async def test_an_unknown_private_method_is_an_api_error(rest: Rest) -> None:
    assert await rest.private("NoSuchMethod") == {"error": ["EGeneral:Unknown method"]}


async def test_an_unknown_public_method_is_an_api_error(rest: Rest) -> None:
    assert await rest.public("NoSuchMethod") == {"error": ["EGeneral:Unknown method"]}


async def test_a_private_get_is_refused(sim: KrakenSimulator, rest: Rest) -> None:
    async with rest.session.get(f"{sim.rest_url}/0/private/GetWebSocketsToken") as response:
        assert response.status == 200
        assert json.loads(await response.read()) == {"error": ["EGeneral:Invalid arguments"]}


@pytest.fixture
async def limited() -> AsyncIterator[tuple[KrakenSimulator, ManualClock, Rest]]:
    clock = ManualClock(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    sim = KrakenSimulator(
        api_key=KEY, api_secret=SECRET, balances={"USD": 10}, clock=clock, rate_tier="intermediate"
    )
    await sim.start()
    async with aiohttp.ClientSession() as session:
        yield sim, clock, Rest(session, sim.rest_url)
    await sim.close()


async def test_the_call_counter_refuses_the_call_past_the_tier_maximum(
    limited: tuple[KrakenSimulator, ManualClock, Rest],
) -> None:
    _, _, rest = limited
    answers = [(await rest.private("Balance"))["error"] for _ in range(21)]
    assert answers[:20] == [[]] * 20
    assert answers[20] == ["EAPI:Rate limit exceeded"]


async def test_the_call_counter_decays_with_time(limited: tuple[KrakenSimulator, ManualClock, Rest]) -> None:
    _, clock, rest = limited
    for _ in range(20):
        await rest.result("Balance")
    clock.advance(2)  # intermediate: -0.5 per second, so one call's worth
    assert (await rest.private("Balance"))["error"] == []
    assert (await rest.private("Balance"))["error"] == ["EAPI:Rate limit exceeded"]


async def test_trade_history_costs_more_than_one(limited: tuple[KrakenSimulator, ManualClock, Rest]) -> None:
    sim, _, rest = limited
    for _ in range(5):
        await rest.result("TradesHistory")
    assert sim.limiter.value(KEY) == 20
    assert (await rest.private("Balance"))["error"] == ["EAPI:Rate limit exceeded"]


async def test_order_entry_does_not_use_the_rest_counter(
    limited: tuple[KrakenSimulator, ManualClock, Rest],
) -> None:
    sim, _, rest = limited
    for _ in range(25):
        assert (await rest.private("CancelAll"))["error"] == []
    assert sim.limiter.value(KEY) == 0


async def test_a_custom_tier_sets_the_maximum() -> None:
    sim = KrakenSimulator(api_key=KEY, api_secret=SECRET, rate_tier=RateTier("tiny", 2, 0.0))
    await sim.start()
    try:
        async with aiohttp.ClientSession() as session:
            rest = Rest(session, sim.rest_url)
            answers = [(await rest.private("Balance"))["error"] for _ in range(3)]
        assert answers == [[], [], ["EAPI:Rate limit exceeded"]]
    finally:
        await sim.close()
