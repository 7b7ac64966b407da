from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.campaigns.gateway import KEY, Gateway


@pytest.fixture
def gateway(settings) -> Iterator[Gateway]:
    """A running gateway, and the settings that send through it."""
    server = Gateway().start()
    settings.SMS_BACKEND = "origination.sms.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = server.url
    settings.SMS_GATEWAY_KEY = KEY
    settings.SMS_GATEWAY_RATE = 10_000
    settings.SMS_GATEWAY_TIMEOUT = 2
    settings.SMS_QUIET_HOURS = "00:00-00:00"  # start == end: never quiet, whatever the hour the tests run
    yield server
    server.stop()
