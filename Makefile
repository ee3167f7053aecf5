# Two commands do everything on a fresh machine with Python 3.11 and make: `make run`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app run
export APP_VAR_DIR ?= $(CURDIR)/var

.PHONY: run test test-pg test-e2e as-shipped setup db i18n clean audit screenshots

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（未找到 $(PYTHON)）"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

db: setup
	mkdir -p $(APP_VAR_DIR)
	$(FLASK) db upgrade
	$(FLASK) sync-roles
	$(FLASK) seed
	$(FLASK) demo
	$(FLASK) prepare-broker

# The web console on http://127.0.0.1:5000 and a Celery worker on the embedded broker, together; the worker
# also runs beat (-B), which sweeps the 推送 outbox every PUSH_SWEEP_SECONDS.
run: db
	@echo "控制台：http://127.0.0.1:5000  （Ctrl+C 停止网页与后台任务）"
	@trap 'kill 0' INT TERM EXIT; \
	$(VENV)/bin/celery -A app.celery_worker worker --loglevel=INFO --concurrency=1 --pool=solo \
		-B --schedule $(APP_VAR_DIR)/celerybeat-schedule & \
	$(FLASK) run --host 127.0.0.1 --port 5000 --no-reload

# The whole suite on the embedded default (SQLite, eager tasks); browser tests included when chromium exists
# (skipped with the reason otherwise). Settings in pytest.ini; PYTEST_ARGS adds pytest options (CI leaves the browser
# tests to its own stage).
test: setup
	$(PY) -m pytest -q -n 2 tests $(PYTEST_ARGS)

# The suite (less the browser tests) on PostgreSQL + Redis with a real Celery worker: stages 3-5 of .ci/run
# (starts PostgreSQL/Redis when stopped, recreates the database zjpx_ci, or the one named by ZJPX_CI_DB).
test-pg: setup
	bash .ci/run pg

# The browser tests only; a missing chromium or Playwright is a failure here, not a skip.
test-e2e: setup
	E2E_REQUIRED=1 $(PY) -m pytest -q tests/e2e

# The product as README tells a user to start it, from a clean clone of HEAD: `make run`, then the production
# commands (gunicorn + PostgreSQL + Redis + worker + beat), each walked over HTTP as the demo accounts (stage 7 of .ci/run).
as-shipped:
	bash .ci/as_shipped

i18n: setup
	$(PY) translations/i18n.py all

# Known vulnerabilities of the installed dependencies (pip-audit, from its own .venv-audit): fails when one has a
# fixed version, or when the vulnerability service could not be asked about every package (.ci/audit.py).
AUDIT_VENV := .venv-audit
$(AUDIT_VENV)/.installed: requirements-audit.txt
	test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet -r requirements-audit.txt
	touch $@

audit: setup $(AUDIT_VENV)/.installed
	$(AUDIT_VENV)/bin/python .ci/audit.py --python $(PY) $(AUDIT_ARGS)

clean:
	rm -rf $(VENV) $(AUDIT_VENV) var

# README 界面预览: fresh screenshots of the main screens from the demo data (chromium + Playwright), into docs/.
screenshots: setup
	$(PY) scripts/screenshots.py
