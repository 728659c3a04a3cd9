# Set-up and test commands. Each target creates the virtual environment it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
AIRFLOW3_VERSION ?= 3.3.2
AIRFLOW2_VERSION ?= 2.11.*
VENV ?= .venv
VENV2 ?= .venv-airflow2
PYTEST_ARGS ?=

PROVIDERS = apache-airflow-providers-amazon apache-airflow-providers-common-compat apache-airflow-providers-http

.PHONY: demo test test-airflow3 test-airflow2 test-celery sandbox check-connections benchmarks clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q "apache-airflow==$(AIRFLOW3_VERSION)" $(PROVIDERS) apache-airflow-providers-openlineage -e ".[test]"
	touch $@

$(VENV2)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV2)
	$(VENV2)/bin/pip install -q --upgrade pip
	$(VENV2)/bin/pip install -q "apache-airflow==$(AIRFLOW2_VERSION)" $(PROVIDERS) apache-airflow-providers-openlineage -e ".[test]"
	touch $@

## The main job: every example DAG against the sandbox and moto S3, with a summary.
demo: $(VENV)/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python tools/demo.py

## The whole test suite: Airflow 3 (including the real-deployment test), then Airflow 2.11.
test: test-airflow3 test-airflow2

test-airflow3: $(VENV)/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python -m pytest -m "not celery" $(PYTEST_ARGS)

## The test suite on Airflow 2.11 (the deployment test runs on Airflow 3 only).
test-airflow2: $(VENV2)/.installed
	PATH="$(CURDIR)/$(VENV2)/bin:$$PATH" $(VENV2)/bin/python -m pytest -m "not deployment and not celery" $(PYTEST_ARGS)

## The CeleryExecutor deployment test (Airflow 3): Redis, PostgreSQL, two Celery workers.
## Needs Debian's redis-server and postgresql (apt-get install -y redis-server postgresql).
test-celery: $(VENV)/.installed
	$(VENV)/bin/pip install -q "apache-airflow==$(AIRFLOW3_VERSION)" apache-airflow-providers-celery "celery<5.7" redis psycopg2-binary asyncpg
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python -m pytest -m celery $(PYTEST_ARGS)

## Run the sandbox in the foreground, printing the AIRFLOW_CONN_... lines.
sandbox: $(VENV)/.installed
	$(VENV)/bin/python -m airflow_provider_adtech.sandbox --s3

check-connections: $(VENV)/.installed
	$(VENV)/bin/python -m airflow_provider_adtech.sandbox --check

benchmarks: $(VENV)/.installed
	for b in benchmarks/*.py; do $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(VENV2) .demo build *.egg-info
