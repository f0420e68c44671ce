-- Signatures earlier versions created that the current warnings.sql no longer does. Run by gridgov.dbsql
-- before warnings.sql, after the views that read these functions (maps/sql/drop.sql) are dropped.
-- A function whose arguments or result type change must have its old signature added here.
DROP FUNCTION IF EXISTS alerts_case_level(bigint, timestamptz);
DROP FUNCTION IF EXISTS alerts_colour_max(text, text);
DROP FUNCTION IF EXISTS alerts_feedback_level(text, timestamptz, integer, text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS alerts_accept_level(text, timestamptz, integer, text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS alerts_stage_level(timestamptz, integer, text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS alerts_remaining_minutes(timestamptz, text, timestamptz);
DROP FUNCTION IF EXISTS alerts_limit_minutes(integer, text, timestamptz, timestamptz);
