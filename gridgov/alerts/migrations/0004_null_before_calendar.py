"""alerts_work_minutes_at returns NULL (not 0) where the calendar table has no data yet (gridgov.alerts.sql)."""
from django.db import migrations

from gridgov.alerts.sql import FUNCTIONS


class Migration(migrations.Migration):
    dependencies = [("alerts", "0003_inlinable_functions")]

    operations = [migrations.RunSQL(FUNCTIONS, migrations.RunSQL.noop)]
