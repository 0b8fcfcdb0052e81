"""The demo's configuration: the same document `galfriday run --config FILE` reads, pointed at the in-process
Kraken simulator, with the store taken from the user's configuration.

Everything but the store is fixed by the demo (the exchange is the simulator; models, reconciliation and the
runtime are set for a run of seconds). The store is the user's: `GALFRIDAY_STORE=postgres` and
`GALFRIDAY_STORE_DSN=postgresql://...` (or a `[store]` table in `GALFRIDAY_CONFIG`) move the demo to Postgres.
The embedded default, SQLite without a DSN, gets a fresh file in the demo's working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from galfriday.config import Config, Secret, StoreConfig, config_from_mapping

SYMBOL = "BTC/USD"
MODEL_NAME = "btc-direction"
CANDLE_INTERVAL_SECONDS = 3600
SQLITE_FILE = "galfriday-demo.db"


@attrs.frozen
class SimulatorEndpoints:
    """Where the simulator listens and the account's credentials (handed over as environment variables are)."""

    rest_url: str
    ws_url: str
    ws_auth_url: str
    api_key: str
    api_secret: str = attrs.field(repr=False)


def demo_store(user: StoreConfig, workdir: Path) -> StoreConfig:
    """The user's store; the embedded default (SQLite without a DSN) becomes a fresh file in `workdir`."""
    if user.adapter == "sqlite" and user.dsn is None:
        return attrs.evolve(user, dsn=Secret(str(workdir / SQLITE_FILE)))
    return user


def demo_document(endpoints: SimulatorEndpoints, workdir: Path) -> dict[str, Any]:
    """The configuration file the demo would write for `galfriday run` (without the store and secrets)."""
    return {
        "exchange": {"adapter": "kraken"},
        "kraken": {
            "rest_url": endpoints.rest_url,
            "ws_url": endpoints.ws_url,
            "ws_auth_url": endpoints.ws_auth_url,
            "rate_tier": "pro",
        },
        "models": {
            "runtime": "onnx",
            "artifact_store": "filesystem",
            "trainer": "sklearn",
            "settings": {
                "artifact_dir": str(workdir / "artifacts"),
                "symbol": SYMBOL,
                "interval_seconds": CANDLE_INTERVAL_SECONDS,
                "max_trials": 2,
                "time_budget_seconds": 10,
            },
        },
        "retention": {"archive": "memory"},
        "runtime": {
            "http_port": 0,  # any free port: the demo never collides with a running `galfriday run`
            "recovery_poll_seconds": 1.0,  # polls (REST) while the stream is down: before it is back
            "shutdown_timeout_seconds": 15,
            "deadman_timeout_seconds": 0,  # the demo leaves orders resting on purpose
        },
        "logging": {"level": "WARNING"},
    }


def demo_config(user: Config, endpoints: SimulatorEndpoints, workdir: Path) -> Config:
    """The demo's whole configuration: `demo_document` with the credentials, and the user's store."""
    secrets = {
        "GALFRIDAY_KRAKEN_API_KEY": endpoints.api_key,
        "GALFRIDAY_KRAKEN_API_SECRET": endpoints.api_secret,
    }
    config = config_from_mapping(demo_document(endpoints, workdir), environ=secrets)
    return config.with_overrides(store=demo_store(user.store, workdir))
