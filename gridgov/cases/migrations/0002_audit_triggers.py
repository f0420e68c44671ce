"""Audit trail at database level.

Every INSERT/UPDATE/DELETE on cases_case and cases_casephoto writes a row to cases_caseevent from a
trigger: who (the application user the action put in the transaction-local settings
gridgov.actor_id / gridgov.actor_label, and the database user), when, which action, and before/after
of the fields that changed. cases_caseevent itself refuses UPDATE and DELETE (a trigger raises), so
the history cannot be edited or removed through the application, the admin or a raw ORM call.
(TRUNCATE, a DBA operation, is not blocked: the test runner empties tables with it. In deployments
where the application connects as a role that does not own the tables, REVOKE TRUNCATE as well.)
"""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION cases_point_json(p geometry) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p IS NULL THEN 'null'::jsonb
           ELSE jsonb_build_array(round(ST_X(p)::numeric, 7), round(ST_Y(p)::numeric, 7)) END
$$;

CREATE OR REPLACE FUNCTION cases_write_event(p_case_id bigint, p_kind text, p_before jsonb, p_after jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cases_caseevent (case_id, at, kind, actor_id, actor_label, action, db_user, before, after)
    VALUES (p_case_id, clock_timestamp(), p_kind,
            nullif(current_setting('gridgov.actor_id', true), '')::bigint,
            coalesce(current_setting('gridgov.actor_label', true), ''),
            coalesce(current_setting('gridgov.action', true), ''),
            session_user, p_before, p_after);
END
$$;

CREATE OR REPLACE FUNCTION cases_case_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    before_j jsonb := '{}'::jsonb;
    after_j jsonb := '{}'::jsonb;
    k text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        new_row := (to_jsonb(NEW) - 'updated_at') || jsonb_build_object('point', cases_point_json(NEW.point));
        PERFORM cases_write_event(NEW.id, 'created', NULL, new_row);
        RETURN NULL;
    END IF;
    old_row := (to_jsonb(OLD) - 'updated_at') || jsonb_build_object('point', cases_point_json(OLD.point));
    IF TG_OP = 'DELETE' THEN
        PERFORM cases_write_event(OLD.id, 'deleted', old_row, NULL);
        RETURN NULL;
    END IF;
    new_row := (to_jsonb(NEW) - 'updated_at') || jsonb_build_object('point', cases_point_json(NEW.point));
    FOR k IN SELECT jsonb_object_keys(new_row) LOOP
        IF new_row -> k IS DISTINCT FROM old_row -> k THEN
            before_j := before_j || jsonb_build_object(k, old_row -> k);
            after_j := after_j || jsonb_build_object(k, new_row -> k);
        END IF;
    END LOOP;
    IF after_j <> '{}'::jsonb THEN
        PERFORM cases_write_event(NEW.id, 'updated', before_j, after_j);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION cases_photo_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM cases_write_event(OLD.case_id, 'photo_deleted',
            jsonb_build_object('photo', OLD.id, 'kind', OLD.kind, 'image', OLD.image, 'sha256', OLD.sha256), NULL);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM cases_write_event(NEW.case_id, 'photo_updated',
            jsonb_build_object('photo', OLD.id, 'kind', OLD.kind, 'image', OLD.image, 'sha256', OLD.sha256),
            jsonb_build_object('photo', NEW.id, 'kind', NEW.kind, 'image', NEW.image, 'sha256', NEW.sha256));
    ELSE
        PERFORM cases_write_event(NEW.case_id, 'photo_added', NULL,
            jsonb_build_object('photo', NEW.id, 'kind', NEW.kind, 'image', NEW.image, 'sha256', NEW.sha256,
                               'exif_point', cases_point_json(NEW.exif_point), 'exif_taken_at', NEW.exif_taken_at,
                               'distance_m', NEW.distance_m, 'time_offset_s', NEW.time_offset_s));
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION cases_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cases_caseevent is append-only: the audit trail cannot be changed or deleted (%)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER cases_case_audit AFTER INSERT OR UPDATE OR DELETE ON cases_case
    FOR EACH ROW EXECUTE FUNCTION cases_case_audit();
CREATE TRIGGER cases_photo_audit AFTER INSERT OR UPDATE OR DELETE ON cases_casephoto
    FOR EACH ROW EXECUTE FUNCTION cases_photo_audit();
CREATE TRIGGER cases_event_append_only BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_event_append_only();
REVOKE UPDATE, DELETE ON cases_caseevent FROM PUBLIC;
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS cases_event_append_only ON cases_caseevent;
DROP TRIGGER IF EXISTS cases_photo_audit ON cases_casephoto;
DROP TRIGGER IF EXISTS cases_case_audit ON cases_case;
DROP FUNCTION IF EXISTS cases_event_append_only();
DROP FUNCTION IF EXISTS cases_photo_audit();
DROP FUNCTION IF EXISTS cases_case_audit();
DROP FUNCTION IF EXISTS cases_write_event(bigint, text, jsonb, jsonb);
DROP FUNCTION IF EXISTS cases_point_json(geometry);
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
