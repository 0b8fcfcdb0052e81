"""The plugin is found through its entry point and built from configuration, like any galfriday adapter."""

from datetime import UTC, datetime

import pytest
from galfriday_slack import SlackNotifier
from slack_fake import fake_slack

from galfriday.app import App
from galfriday.config import Config, NotifierConfig
from galfriday.domain.alerts import Alert, Severity
from galfriday.errors import ConfigurationError, StartupError
from galfriday.plugins import build_plugin_manager, collect_adapters


def test_the_slack_notifier_is_registered_by_the_installed_distribution() -> None:
    registry = collect_adapters(build_plugin_manager())

    assert registry.get("notifier", "slack").distribution == "galfriday-slack"


async def test_an_app_configured_for_slack_delivers_alerts_there(monkeypatch: pytest.MonkeyPatch) -> None:
    async with fake_slack() as slack:
        monkeypatch.setenv("GALFRIDAY_SLACK_WEBHOOK_URL", slack.url)
        config = Config(notifier=NotifierConfig(adapter="slack"))
        async with App.from_config(config, kinds=("notifier",)) as app:
            assert isinstance(app.notifier, SlackNotifier)
            await app.notifier.notify(Alert(Severity.INFO, "hello", "world", datetime(2026, 1, 1, tzinfo=UTC)))

    assert slack.received[0]["text"] == "[info] hello: world"


async def test_the_url_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with fake_slack() as slack:
        monkeypatch.delenv("GALFRIDAY_SLACK_WEBHOOK_URL", raising=False)
        secret = tmp_path / "slack-url"
        secret.write_text(slack.url + "\n")
        config = Config(notifier=NotifierConfig(adapter="slack", settings={"webhook_url_file": str(secret)}))
        async with App.from_config(config, kinds=("notifier",)) as app:
            await app.notifier.notify(Alert(Severity.INFO, "from", "file", datetime(2026, 1, 1, tzinfo=UTC)))

    assert len(slack.received) == 1


async def test_without_a_url_start_up_fails_saying_where_to_put_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GALFRIDAY_SLACK_WEBHOOK_URL", raising=False)
    config = Config(notifier=NotifierConfig(adapter="slack"))

    with pytest.raises((ConfigurationError, StartupError), match="GALFRIDAY_SLACK_WEBHOOK_URL"):
        async with App.from_config(config, kinds=("notifier",)):
            pass
