"""Sending letters, reminders and escalations: written to the outbox once per message id."""

from __future__ import annotations

from temporalio import activity

from activities.messages import Notification
from eventlog.outbox import Outbox, OutboxMessage


class NotificationActivities:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    @activity.defn(name="send_notification")
    def send(self, notification: Notification) -> bool:
        """True when sent now, False when this message id was already sent (a retry)."""
        return self._outbox.put(OutboxMessage(**notification.model_dump()))
