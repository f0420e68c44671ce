"""Who is acting, for the database audit triggers (cases, dispatches): transaction-local settings that the
triggers copy into each audit row. Every do_* action that writes an audited table wraps its writes in
audit_context(actor, action)."""
from contextlib import contextmanager

from django.db import connection


def _set_actor(actor_id, label, action):
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('gridgov.actor_id', %s, true), set_config('gridgov.actor_label', %s, true),"
                    " set_config('gridgov.action', %s, true)", [actor_id, label, action])


@contextmanager
def audit_context(actor, action):
    """Tell the audit triggers who is acting, for the writes inside the block.

    The settings are transaction-local; they are cleared when the block ends, so later writes in
    the same (outer) transaction are not attributed to this actor. On an error the enclosing
    atomic block's rollback undoes them.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_context must be used inside transaction.atomic()")
    _set_actor("" if actor is None else str(actor.pk), "" if actor is None else actor.get_username(), action)
    yield
    if len(connection.atomic_blocks) > 1:
        _set_actor("", "", "")  # an outer transaction goes on: later writes are not this actor's
