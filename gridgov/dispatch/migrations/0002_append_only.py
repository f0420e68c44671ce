"""The dispatch transition log and the routing-rule history refuse UPDATE and DELETE at database level
(like cases_caseevent), so no application code, admin action or raw ORM call can rewrite them.
TRUNCATE is not blocked (the test runner uses it); REVOKE it in deployments where the application
role does not own the tables."""
from django.db import migrations

TABLES = ["dispatch_dispatchevent", "dispatch_routingruleversion"]

FORWARD = r"""
CREATE OR REPLACE FUNCTION dispatch_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: history cannot be changed or deleted (%)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
""" + "".join(f"""
CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t}
    FOR EACH ROW EXECUTE FUNCTION dispatch_append_only();
REVOKE UPDATE, DELETE ON {t} FROM PUBLIC;
""" for t in TABLES)

BACKWARD = "".join(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t};\n" for t in TABLES) + \
    "DROP FUNCTION IF EXISTS dispatch_append_only();\n"


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
