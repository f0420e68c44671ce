-- Views are dropped before the functions they read are (re)created and made again afterwards
-- (case_warning.sql), so a function may change and migrations may ALTER the columns they read.
DROP VIEW IF EXISTS maps_case_warning;
