"""Delivery of notifications to the non-in-app channels, with retries.

queue_deliveries(rows) is called by gridgov.dispatch.notify.notify() inside the action's transaction:
it writes one Delivery row per (notification, channel) — so a rolled-back action delivers nothing and a
committed one cannot lose its deliveries — and, once the transaction commits, defers the
`deliver_notifications` job (gridgov.notifications.tasks). If that job cannot be deferred, or the worker
dies, the periodic `retry_deliveries` job finds the rows still pending: nothing is lost.

deliver_pending() claims rows with SELECT … FOR UPDATE SKIP LOCKED, so two workers never send the same
row; a row is marked sent in the transaction that holds its lock. A crash after the channel accepted
the message but before the commit can send it once more (at-least-once; a mail server or SMS gateway
cannot be part of our transaction).
"""
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .channels import delivery_channels, get_channel
from .models import Delivery, DeliveryStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 5, 15, 60)  # after attempt 1, 2, 3, 4
BATCH = 100


def queue_deliveries(rows):
    """Delivery rows for these Notification rows on every configured channel that wants them and can reach
    the recipient (a user without an email address gets no email row)."""
    channels = delivery_channels()
    if not rows or not channels:
        return []
    now = timezone.now()
    made = Delivery.objects.bulk_create(
        [Delivery(notification=n, channel=c.name, next_attempt_at=now, address=str(address)[:255])
         for n in rows for c in channels if c.wants(n) for address in [c.address_for(n)] if address])
    ids = [d.pk for d in made if d.pk]
    if ids:
        transaction.on_commit(lambda: defer_delivery(ids))
    return made


def defer_delivery(ids):
    """Hand the rows to the background worker. Never raises: the periodic retry is the safety net."""
    try:
        from .tasks import deliver_notifications

        deliver_notifications.defer(delivery_ids=list(ids))
    except Exception:
        logger.exception("could not defer delivery of %s; the periodic retry will send them", ids)


def _claim(ids, now, limit):
    qs = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs.select_for_update(skip_locked=True, of=("self",))
                .select_related("notification", "notification__recipient", "notification__case")
                .order_by("next_attempt_at", "id")[:limit])


def _send_one(delivery, now):
    channel = get_channel(delivery.channel)
    if channel is None:
        delivery.status, delivery.last_error = DeliveryStatus.SKIPPED, "channel no longer configured"
        return
    notification = delivery.notification
    address = channel.address_for(notification)
    if not address:
        delivery.status, delivery.last_error = DeliveryStatus.SKIPPED, "no address for this recipient"
        return
    delivery.address = str(address)[:255]
    delivery.attempts += 1
    try:
        channel.send(notification, address)
    except Exception as e:  # any failure of a channel is retried, then recorded
        delivery.last_error = f"{type(e).__name__}: {e}"[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            logger.warning("delivery %s via %s failed for good: %s", delivery.pk, delivery.channel, e)
        else:
            wait = BACKOFF_MINUTES[min(delivery.attempts, len(BACKOFF_MINUTES)) - 1]
            delivery.next_attempt_at = now + timedelta(minutes=wait)
        return
    delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, now, ""


def deliver_pending(ids=None, now=None, limit=BATCH):
    """Send pending deliveries that are due (only `ids`, if given). Returns {status: count}."""
    now = now or timezone.now()
    counts = {}
    with transaction.atomic():
        claimed = _claim(ids, now, limit)
        for delivery in claimed:
            _send_one(delivery, now)
            delivery.save(update_fields=["status", "attempts", "next_attempt_at", "last_error", "address",
                                         "sent_at"])
            counts[delivery.status] = counts.get(delivery.status, 0) + 1
    return counts
