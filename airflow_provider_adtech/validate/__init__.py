"""``adtech-validate``: check vendor files against the vendors' rules without Airflow.

The same ``formats`` code the operators run, from a shell, a pre-commit hook or CI::

    adtech-validate ispot --data-date 2026-11-20 export.csv
    python -m airflow_provider_adtech.validate bidswitch report.json

See :mod:`airflow_provider_adtech.validate.cli` and ``docs/validate.md``. Nothing here
imports Airflow.
"""
