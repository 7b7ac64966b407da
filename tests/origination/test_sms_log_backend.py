"""The log SMS backend keeps the terminal quiet: one DEBUG line per message, the outbox keeps them all."""

from __future__ import annotations

import logging

from origination.models import Notification
from origination.outbox import notifications_send_pending
from origination.sms import LogSmsBackend


def test_the_log_backend_writes_no_info_line_per_message(caplog):
    caplog.set_level(logging.INFO)
    message_id = LogSmsBackend().send(recipient="13800138000", text="额度已获批", idempotency_key="limit-approved:1")
    assert message_id == "log:limit-approved:1"
    assert [record for record in caplog.records if record.name == "origination.sms"] == []


def test_the_log_backend_shows_each_message_at_debug_with_the_phone_masked(caplog):
    caplog.set_level(logging.DEBUG, logger="origination.sms")
    LogSmsBackend().send(recipient="13800138000", text="额度已获批", idempotency_key="limit-approved:1")
    (record,) = [record for record in caplog.records if record.name == "origination.sms"]
    assert record.levelno == logging.DEBUG
    assert "额度已获批" in record.getMessage() and "13800138000" not in record.getMessage()


def test_sending_a_full_outbox_logs_nothing_at_info_and_marks_every_row_sent(db, settings, caplog):
    settings.SMS_BACKEND = "origination.sms.LogSmsBackend"
    caplog.set_level(logging.INFO)
    Notification.objects.bulk_create(
        Notification(idempotency_key=f"demo:{n}", recipient=f"1380013{n:04d}", template="demo", text=f"第{n}条")
        for n in range(250)
    )
    assert notifications_send_pending() == {"sent": 250, "failed": 0}
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 250
    assert [record for record in caplog.records if record.name == "origination.sms"] == []
