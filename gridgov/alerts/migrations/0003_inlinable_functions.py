"""Frozen: the warning functions it re-applied live in gridgov/alerts/sql/ (applied by gridgov.dbsql)."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_sql_functions")]

    operations = []
