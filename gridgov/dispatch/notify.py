"""The one hook every part of dispatch calls to tell people something: notify().

For now it writes in-app Notification rows (in the caller's transaction, so a rolled-back action
notifies nobody). Other channels (email, SMS, WeChat Work) plug in with register_channel(): each
channel is called once the transaction commits, with the rows just written, and must not raise
into the caller (a failing channel is logged; the in-app row stays the record).
"""
import logging

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction

from gridgov.departments.models import Department, Membership

from .models import Notification

logger = logging.getLogger(__name__)

_channels = []


def register_channel(func):
    """func(notifications: list[Notification]) → None, called after commit. Returns func (decorator)."""
    if func not in _channels:
        _channels.append(func)
    return func


def unregister_channel(func):
    if func in _channels:
        _channels.remove(func)


def _recipients(targets):
    """Users (active), each once, with the department through which they were reached (or None)."""
    User = get_user_model()
    found = {}
    for target in targets or ():
        if target is None:
            continue
        if isinstance(target, Department):
            members = Membership.objects.filter(department=target, user__is_active=True).select_related("user")
            for m in members:
                found.setdefault(m.user.pk, (m.user, target))
        elif isinstance(target, User):
            if target.is_active:
                found.setdefault(target.pk, (target, None))
        else:
            raise TypeError(f"notify() takes users and departments, not {type(target).__name__}")
    return list(found.values())


def _send_to_channels(rows):
    for channel in list(_channels):
        try:
            channel(rows)
        except Exception:  # a channel failure must never undo or break the action that notified
            logger.exception("notification channel %r failed", channel)


def notify(users_or_departments, kind, case, message):
    """Tell these users and the active members of these departments `message` about `case`.

    kind: a short machine word (dispatched, returned, escalated, suspension_requested, ...).
    Returns the Notification rows written (one per user, however many routes reach them).
    """
    rows = Notification.objects.bulk_create([
        Notification(recipient=user, kind=kind, case=case, department=dept, message=str(message))
        for user, dept in _recipients(users_or_departments)
    ])
    if rows and apps.is_installed("gridgov.notifications"):
        # Email / SMS / WeChat Work (gridgov.notifications): delivery rows in this transaction, sent by a
        # background job after commit.
        from gridgov.notifications.delivery import queue_deliveries

        queue_deliveries(rows)
    if rows and _channels:
        transaction.on_commit(lambda: _send_to_channels(rows))
    return rows
