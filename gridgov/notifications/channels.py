"""Notification channels: a small registry of Channel classes, configured in settings.

    GRIDGOV_NOTIFICATION_CHANNELS = [
        "gridgov.notifications.channels.InAppChannel",
        "gridgov.notifications.channels.EmailChannel",
        "myorg.notify.WeComChannel",        # a deployment's own channel, no change to gridgov needed
    ]

A channel is a class with a unique `name`, a Chinese `label`, and

    address_for(notification) -> str | None   where to send it (None: this user cannot be reached here,
                                               the delivery is recorded as skipped)
    send(notification, address) -> None        deliver it; raise any exception on failure (retried)

`in_app = True` marks the channel whose record is the Notification row itself (nothing to deliver).
`kinds` (a set of notification kinds, or None for all) limits what a channel carries — e.g. an SMS
channel for "overdue" and "supervision" only.

Sending happens in a background job after the action's transaction commits
(gridgov.notifications.delivery); a channel never runs inside a user's request.

An SMS or WeChat Work channel is a subclass of Channel, e.g.:

    class WeComChannel(Channel):
        name, label = "wecom", "企业微信"
        def address_for(self, n):
            return n.recipient.wecom_userid or None     # however the deployment stores it
        def send(self, n, address):
            requests.post(WEBHOOK, json={"touser": address, "text": {"content": message_text(n)}},
                          timeout=10).raise_for_status()
"""
from functools import lru_cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import FieldError

DEFAULT_CHANNELS = ["gridgov.notifications.channels.InAppChannel",
                    "gridgov.notifications.channels.EmailChannel"]

KIND_LABELS = {
    "dispatched": _("新派遣"), "accepted": _("已签收"), "fed_back": _("已反馈"), "returned": _("被退回"),
    "rework": _("返工"), "closed": _("已结案"), "escalated": _("吹哨升级"), "triage": _("待分拨"),
    "suspension_requested": _("缓办申请"), "suspension_decided": _("缓办审批"),
    "near_overdue": _("临近超期提醒"), "overdue": _("超期督办"), "supervision": _("督办"),
}


def kind_label(kind):
    return str(KIND_LABELS.get(kind, kind))


def message_text(notification):
    number = notification.case.number if notification.case_id else ""
    lines = [notification.message, ""]
    if number:
        lines.append(f"案卷编号：{number}")
    lines.append(f"时间：{localtime(notification.created_at):%Y-%m-%d %H:%M}")
    return "\n".join(lines)


class Channel:
    name = ""
    label = ""
    in_app = False
    kinds = None  # None: every kind

    def wants(self, notification):
        return self.kinds is None or notification.kind in self.kinds

    def address_for(self, notification):
        raise NotImplementedError

    def send(self, notification, address):
        raise NotImplementedError


class InAppChannel(Channel):
    """The Notification row is the in-app notice (unread list and badge: /api/v1/notifications/)."""

    name, label, in_app = "in_app", _("站内通知"), True

    def address_for(self, notification):
        return str(notification.recipient_id)

    def send(self, notification, address):
        return None


class EmailChannel(Channel):
    """Django's email backend (settings.EMAIL_BACKEND: console in development, locmem in tests, SMTP in
    production via the EMAIL_* settings). Users without an email address are skipped."""

    name, label = "email", _("电子邮件")

    def address_for(self, notification):
        return (notification.recipient.email or "").strip() or None

    def send(self, notification, address):
        subject = f"[网格治理] {kind_label(notification.kind)}"
        if notification.case_id:
            subject += f" · 案卷 {notification.case.number}"
        send_mail(subject, message_text(notification), None, [address], fail_silently=False)


@lru_cache(maxsize=8)
def _load(paths):
    channels, names = [], set()
    for path in paths:
        try:
            cls = import_string(path)
        except ImportError as e:
            raise FieldError("GRIDGOV_NOTIFICATION_CHANNELS", "unknown_channel", f"通知渠道 {path!r} 无法导入：{e}",
                             f"notification channel {path!r} cannot be imported: {e}")
        if not (isinstance(cls, type) and issubclass(cls, Channel)) or not cls.name:
            raise FieldError("GRIDGOV_NOTIFICATION_CHANNELS", "not_a_channel",
                             f"{path!r} 不是通知渠道（应继承 Channel 并设置 name）",
                             f"{path!r} is not a Channel subclass with a name")
        if cls.name in names:
            raise FieldError("GRIDGOV_NOTIFICATION_CHANNELS", "duplicate_channel", f"通知渠道名称 {cls.name!r} 重复",
                             f"two notification channels are named {cls.name!r}")
        names.add(cls.name)
        channels.append(cls())
    return tuple(channels)


def load_channels():
    """The configured channel instances, in order."""
    return _load(tuple(getattr(settings, "GRIDGOV_NOTIFICATION_CHANNELS", DEFAULT_CHANNELS)))


def delivery_channels():
    """Channels that need a Delivery (everything but the in-app record)."""
    return [c for c in load_channels() if not c.in_app]


def get_channel(name):
    for channel in load_channels():
        if channel.name == name:
            return channel
    return None
