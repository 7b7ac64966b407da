"""The campaigns' Celery tasks: they take ids and call one function each (``campaigns.sending``)."""

from __future__ import annotations

from celery import current_app, shared_task

from campaigns.selectors import pending_campaigns
from campaigns.sending import campaign_send, is_quiet, quiet_ends

# A sending task gives its worker back after this long and queues its sequel (beat would also pick it up).
TASK_SECONDS = 120.0


@shared_task(name="campaigns.send", ignore_result=True, acks_late=True)
def campaign_send_task(campaign_id: int) -> dict[str, int | bool]:
    """Send a campaign's waiting messages for up to ``TASK_SECONDS``; queue the rest (after quiet hours)."""
    from django.utils import timezone

    result = campaign_send(campaign_id, max_seconds=TASK_SECONDS)
    if result.quiet:
        if current_app.conf.task_always_eager:  # in process (the demo): beat's send_due resumes it
            return result.as_dict()
        campaign_send_task.apply_async((campaign_id,), eta=quiet_ends(timezone.now()))
    elif not (result.done or result.busy or result.gateway_down) and (result.sent or result.failed):
        campaign_send_task.delay(campaign_id)
    return result.as_dict()


@shared_task(name="campaigns.send_due", ignore_result=True)
def campaigns_send_due() -> int:
    """Beat, every minute: a sending task for each approved campaign with messages waiting (none at night)."""
    from django.utils import timezone

    if is_quiet(timezone.now()):
        return 0
    ids = list(pending_campaigns().values_list("pk", flat=True))
    for campaign_id in ids:
        campaign_send_task.delay(campaign_id)
    return len(ids)
