"""The HTTP backend against a real local gateway: signed requests, retries on 5xx and timeouts only."""

from __future__ import annotations

import pytest

from origination.sms import HttpSmsBackend, SmsError, SmsRejected, SmsUnavailable, sms_backend


def backend(gateway, **kwargs):
    return HttpSmsBackend(gateway.url, gateway.key, backoff=0.01, **kwargs)


def test_a_signed_request_is_accepted_and_its_message_id_returned(gateway):
    message_id = backend(gateway).send(recipient="13900000001", text="【银行】您好", idempotency_key="k-1")
    assert message_id == gateway.delivered["k-1"]
    assert gateway.requests == [{"to": "13900000001", "text": "【银行】您好", "idempotency_key": "k-1"}]
    assert gateway.bad_signatures == 0


def test_a_wrong_key_is_refused_by_the_gateway_and_not_tried_again(gateway):
    with pytest.raises(SmsError) as refused:
        HttpSmsBackend(gateway.url, "another-key", backoff=0.01).send(
            recipient="13900000001", text="x", idempotency_key="k-2"
        )
    assert not isinstance(refused.value, SmsRejected)  # not the message's fault: it waits, it is not failed
    assert gateway.bad_signatures == 1
    assert gateway.delivered == {}


def test_a_5xx_is_tried_again_with_the_same_key(gateway):
    gateway.fail_next = 2
    message_id = backend(gateway, tries=3).send(recipient="13900000001", text="x", idempotency_key="k-3")
    assert gateway.requests_per_key["k-3"] == 3
    assert message_id == gateway.delivered["k-3"]


def test_a_4xx_is_not_tried_again(gateway):
    gateway.reject_next = 1
    with pytest.raises(SmsRejected):
        backend(gateway, tries=3).send(recipient="13900000001", text="x", idempotency_key="k-4")
    assert gateway.requests_per_key["k-4"] == 1


def test_a_gateway_that_keeps_failing_gives_up_after_its_tries(gateway):
    gateway.fail_next = 10
    with pytest.raises(SmsUnavailable):
        backend(gateway, tries=3).send(recipient="13900000001", text="x", idempotency_key="k-5")
    assert gateway.requests_per_key["k-5"] == 3


def test_a_timeout_is_tried_again(gateway):
    gateway.delay, gateway.timing_out = 0.5, True
    with pytest.raises(SmsUnavailable):
        backend(gateway, tries=2, timeout=0.1).send(recipient="13900000001", text="x", idempotency_key="k-6")
    assert gateway.requests_per_key["k-6"] == 2
    assert "k-6" not in gateway.delivered


def test_a_repeated_key_is_delivered_once(gateway):
    first = backend(gateway).send(recipient="13900000001", text="x", idempotency_key="k-7")
    second = backend(gateway).send(recipient="13900000001", text="x", idempotency_key="k-7")
    assert first == second and gateway.requests_per_key["k-7"] == 2 and len(gateway.delivered) == 1


def test_the_settings_choose_the_http_backend(gateway):
    chosen = sms_backend()
    assert isinstance(chosen, HttpSmsBackend) and chosen.url == gateway.url


@pytest.mark.parametrize(("url", "key"), [("", "k"), ("http://127.0.0.1:1", ""), ("file:///etc/passwd", "k")])
def test_a_backend_without_a_usable_url_or_key_refuses_to_start(url, key):
    with pytest.raises(SmsError):
        HttpSmsBackend(url, key)
