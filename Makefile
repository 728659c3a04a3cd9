# Set-up and test commands. Each target creates the virtual environment it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
AIRFLOW3_VERSION ?= 3.3.2
AIRFLOW2_VERSION ?= 2.11.*
## The newest patch release of each other Airflow minor that pyproject.toml claims.
AIRFLOW_MINORS ?= 3.0.6 3.1.8 3.2.2
VENV ?= .venv
VENV2 ?= .venv-airflow2
VENV_LOWEST ?= .venv-lowest
PYTEST_ARGS ?=

PROVIDERS = apache-airflow-providers-amazon apache-airflow-providers-common-compat apache-airflow-providers-http \
	apache-airflow-providers-openlineage
## What runs on every other minor: the example DAGs end to end, provider registration,
## connection forms and test_connection.
MINOR_TESTS = tests/test_example_dags.py tests/core/test_provider_info.py tests/core/test_auth.py \
	tests/core/test_connection_form.py tests/ui
## What runs at the lowest versions our pyproject.toml allows: core, hooks, operators, sensor.
LOWEST_TESTS = tests/core tests/ispot/test_ispot_hook.py tests/ispot/test_ispot_operator.py \
	tests/bidswitch/test_bidswitch_hook.py tests/bidswitch/test_bidswitch_operator.py \
	tests/freewheel/test_api.py tests/freewheel/test_s3_delivery.py tests/iqm/test_iqm_hook.py \
	tests/iqm/test_iqm_operator.py tests/oi/test_oi_hook.py tests/oi/test_oi_operators.py \
	tests/oi/test_oi_sensor.py tests/oi/test_oi_trigger.py

.PHONY: demo demo-next-year test test-airflow3 test-airflow2 test-minors test-lowest test-celery sandbox \
	check-connections benchmarks clean browser test-browser dist-check

## Environments are built with uv: the Amazon provider's s3fs extra holds botocore to the range
## aiobotocore allows, which pip's resolver can take many minutes to backtrack into; uv
## resolves it in seconds. (Users get the same versions from Airflow's constraints file.)
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip uv
	$(VENV)/bin/uv pip install -q -p $(VENV)/bin/python "apache-airflow==$(AIRFLOW3_VERSION)" $(PROVIDERS) -e ".[test]"
	touch $@

$(VENV2)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV2)
	$(VENV2)/bin/pip install -q --upgrade pip uv
	$(VENV2)/bin/uv pip install -q -p $(VENV2)/bin/python "apache-airflow==$(AIRFLOW2_VERSION)" $(PROVIDERS) -e ".[test]"
	touch $@

## Airflow 3.0 and 3.2 do not cap the web stack of their execution API, and its newer releases
## break every task (3.0: a 422 with FastAPI >= 0.118; 3.2: a KeyError 'svcs_registry'). Airflow's
## constraints file pins them for a user, and cannot be fetched here: 3.0 gets the two pins that
## fix it, 3.2 the packages as they were on its release day (uv's --exclude-newer). Airflow 3.0
## builds providers' connection forms from WTForms only with the FAB provider installed.
PINS_3.0 = "fastapi[standard]<0.118" "cadwyn<6" apache-airflow-providers-fab
UV_ARGS_3.2 = --exclude-newer 2026-05-30T00:00:00Z

## One environment per other Airflow minor: .venv-airflow-3.0.6, ...
.venv-airflow-%/.installed: pyproject.toml
	$(PYTHON) -m venv .venv-airflow-$*
	.venv-airflow-$*/bin/pip install -q --upgrade pip uv
	.venv-airflow-$*/bin/uv pip install -q -p .venv-airflow-$*/bin/python $(UV_ARGS_$(basename $*)) \
		"apache-airflow==$*" $(PROVIDERS) -e ".[test]" $(PINS_$(basename $*))
	touch $@

## The lowest versions of our direct dependencies that pyproject.toml allows (uv's
## lowest-direct resolution; common-compat held at its floor, which the newest releases of the
## providers bundled with Airflow would otherwise lift).
$(VENV_LOWEST)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_LOWEST)
	$(VENV_LOWEST)/bin/pip install -q --upgrade pip uv
	floor=$$(sed -n 's/.*"apache-airflow-providers-common-compat>=\([0-9.]*\)".*/\1/p' pyproject.toml); \
	echo "apache-airflow-providers-common-compat==$$floor" > $(VENV_LOWEST)/constraints.txt
	$(VENV_LOWEST)/bin/uv pip install -q -p $(VENV_LOWEST)/bin/python --resolution lowest-direct \
		-c $(VENV_LOWEST)/constraints.txt -e ".[test]"
	touch $@

## The main job: every example DAG against the sandbox and moto S3, with a summary.
demo: $(VENV)/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python tools/demo.py

## The same demo with the clock moved 400 days ahead (Debian's faketime): nothing may depend
## on the day it was written.
demo-next-year: $(VENV)/.installed
	command -v faketime >/dev/null || { apt-get update -qq && apt-get install -y -qq faketime; }
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" faketime -f +400d $(VENV)/bin/python tools/demo.py

## The whole test suite: Airflow 3 (including the real-deployment test), then Airflow 2.11.
test: test-airflow3 test-airflow2

test-airflow3: $(VENV)/.installed browser
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python -m pytest -m "not celery" $(PYTEST_ARGS)

## The test suite on Airflow 2.11 (the deployment test runs on Airflow 3 only).
test-airflow2: $(VENV2)/.installed browser
	PATH="$(CURDIR)/$(VENV2)/bin:$$PATH" $(VENV2)/bin/python -m pytest -m "not deployment and not celery" $(PYTEST_ARGS)

## The CeleryExecutor deployment test (Airflow 3): Redis, PostgreSQL, two Celery workers.
## Needs Debian's redis-server and postgresql (apt-get install -y redis-server postgresql).
test-celery: $(VENV)/.installed
	$(VENV)/bin/uv pip install -q -p $(VENV)/bin/python "apache-airflow==$(AIRFLOW3_VERSION)" \
		apache-airflow-providers-celery "celery<5.7" redis psycopg2-binary asyncpg
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python -m pytest -m celery $(PYTEST_ARGS)

## Example DAGs, provider registration and test_connection on every other Airflow minor.
test-minors: $(foreach v,$(AIRFLOW_MINORS),test-minor-$(v))

test-minor-%: .venv-airflow-%/.installed browser
	@echo "== Airflow $*"
	PATH="$(CURDIR)/.venv-airflow-$*/bin:$$PATH" .venv-airflow-$*/bin/python -m pytest -m "not deployment" \
		$(MINOR_TESTS) $(PYTEST_ARGS)

## Core, hook, operator and sensor tests at the lowest versions pyproject.toml allows.
test-lowest: $(VENV_LOWEST)/.installed
	@$(VENV_LOWEST)/bin/python -c "import importlib.metadata as m; print('== lowest versions:', ', '.join( \
		f'{d} {m.version(d)}' for d in ('apache-airflow', 'apache-airflow-providers-amazon', \
		'apache-airflow-providers-common-compat', 'requests', 'requests-toolbelt', 'tenacity', 'pytz', \
		'pydantic')))"
	PATH="$(CURDIR)/$(VENV_LOWEST)/bin:$$PATH" $(VENV_LOWEST)/bin/python -m pytest -m "not deployment" \
		$(LOWEST_TESTS) $(PYTEST_ARGS)

## Run the sandbox in the foreground, printing the AIRFLOW_CONN_... lines.
sandbox: $(VENV)/.installed
	$(VENV)/bin/python -m airflow_provider_adtech.sandbox --s3

check-connections: $(VENV)/.installed
	$(VENV)/bin/python -m airflow_provider_adtech.sandbox --check

benchmarks: $(VENV)/.installed
	for b in benchmarks/*.py; do $(VENV)/bin/python $$b || exit 1; done

## ---- The connection forms in a real browser, and the package as PyPI gets it -----------------
## Debian's headless Chromium, which the browser test (tests/ui) drives through Playwright
## (Playwright's own browser download is not used). make test installs it when missing.
CHROMIUM ?= /usr/bin/chromium-headless-shell
SUDO = $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium-headless-shell; }

## Only the browser test of the five connection forms, on Airflow 3 and on Airflow 2.11.
test-browser: browser $(VENV)/.installed $(VENV2)/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python -m pytest -m browser tests/ui $(PYTEST_ARGS)
	PATH="$(CURDIR)/$(VENV2)/bin:$$PATH" $(VENV2)/bin/python -m pytest -m browser tests/ui $(PYTEST_ARGS)

## The wheel and the sdist: built without warnings, twine check --strict, check-wheel-contents,
## LICENSE, no orphan tests, and installed in a fresh venv with Airflow only (tools/check_dist.sh).
dist-check:
	PYTHON="$(PYTHON)" AIRFLOW_VERSION="$(AIRFLOW3_VERSION)" tools/check_dist.sh

clean:
	rm -rf $(VENV) $(VENV2) $(VENV_LOWEST) .venv-airflow-* .demo build *.egg-info
