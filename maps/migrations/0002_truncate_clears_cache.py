"""TRUNCATE of a table the layers read also empties maps_cache (a stale-tolerant entry must never
outlive a truncation, e.g. between test runs); re-states maps_note_change (one row per transaction,
one count per statement) for databases that ran an earlier 0001."""
from django.db import migrations



FORWARD = r"""
CREATE OR REPLACE FUNCTION maps_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO maps_change_log AS l (txid) VALUES (txid_current())
    ON CONFLICT (txid) DO UPDATE SET weight = l.weight + 1;
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM maps_cache;
    END IF;
    IF random() < 0.002 THEN
        PERFORM maps_compact_changes();
    END IF;
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("maps", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
