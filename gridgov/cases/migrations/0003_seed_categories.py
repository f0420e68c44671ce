"""Load the shipped category list (data/categories.csv) into an empty table, so a new install can
take reports at once. A county replaces or extends it with `manage.py import_categories`."""
from django.db import migrations


def seed(apps, schema_editor):
    from gridgov.cases.categories import SEED_CSV, parse_csv

    Category = apps.get_model("cases", "Category")
    if Category.objects.exists():
        return
    by_code = {}
    for row in sorted(parse_csv(SEED_CSV.read_bytes()), key=lambda r: (r.level, r.code)):
        values = row.model_values()
        values["parent"] = by_code.get(row.parent_code)
        by_code[row.code] = Category.objects.create(code=row.code, **values)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_audit_triggers")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
