# gridgov — two commands: `make run` (set up, seed the demo, serve) and `make test` (set up, run every test).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PY := .venv/bin/python
PIP := .venv/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= gridgov.settings

.PHONY: run test setup os-deps venv assets db migrate seed serve bench stop verify

run: setup seed
	@bash scripts/serve.sh $(HOST) $(PORT)

test: setup
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

setup: os-deps venv assets db migrate

assets:
	@bash scripts/assets.sh

os-deps:
	@bash scripts/ensure_os_packages.sh

# The venv is rebuilt only when requirements.txt changes (stamp file).
venv: .venv/.stamp
.venv/.stamp: requirements.txt
	@test -x $(PY) || python3 -m venv .venv
	@$(PIP) install -q --upgrade pip 2>&1 | sed '/Location .file:/d'
	@$(PIP) install -q -r requirements.txt 2>&1 | sed '/Location .file:/d'
	@touch $@

db:
	@if [ -z "$$DATABASE_URL" ]; then bash scripts/pg.sh start; fi

migrate:
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py collectstatic --noinput -v 0

seed:
	@$(PY) manage.py seed_demo --if-empty
	@$(PY) manage.py seed_routing
	@$(PY) manage.py seed_load --cases 20000 --days 120 --if-empty
	@$(PY) manage.py seed_petitions --if-empty
	@$(PY) manage.py build_basemap --if-empty
	@$(PY) manage.py create_demo_accounts

serve:
	@bash scripts/serve.sh $(HOST) $(PORT)

# The heavy proofs (issue 7): load, crash, hostile input, access, deploy posture, backups.
verify: setup
	@bash scripts/verify.sh

bench: setup
	$(PY) bench/locate_bench.py

stop:
	@bash scripts/pg.sh stop

# Backups (issue 7): one archive of the database and media, restored and verified (docs/reliability/backup.md).
#   make backup [BACKUP=path]            make restore BACKUP=path [FORCE=1]
.PHONY: backup restore
backup: db
	@bash scripts/backup.sh $(if $(BACKUP),--output "$(BACKUP)")

restore: db
	@bash scripts/restore.sh "$(BACKUP)" $(if $(filter 1 yes true,$(FORCE)),--force)
