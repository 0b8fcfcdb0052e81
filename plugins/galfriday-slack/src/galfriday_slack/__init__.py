"""galfriday-slack: alerts to a Slack incoming webhook, as an out-of-tree galfriday notifier plugin."""

from galfriday_slack.message import slack_payload
from galfriday_slack.notifier import SlackDeliveryError, SlackNotifier

__all__ = ["SlackDeliveryError", "SlackNotifier", "slack_payload"]
