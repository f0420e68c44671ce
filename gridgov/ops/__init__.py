"""Operations: backup and restore of the database and media (issue 7, item 6).

Run from the command line (scripts/backup.sh, scripts/restore.sh, `make backup` / `make restore`);
see docs/reliability/backup.md.
"""
