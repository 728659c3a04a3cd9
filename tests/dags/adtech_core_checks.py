"""A DAG used by the core tests: authenticates with a hook inside a real task run."""

from __future__ import annotations

import pendulum

from airflow.providers.common.compat.sdk import DAG, task

with DAG(
    "adtech_core_checks",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
    tags=["adtech", "test"],
):

    @task
    def authenticate() -> dict:
        from airflow_provider_adtech.hooks.ispot import IspotHook

        from airflow.providers.common.compat.sdk import redact

        hook = IspotHook()
        token = hook.get_token()
        # What Airflow's log masking will do with the token and the client secret in this process.
        return {
            "cache": hook.token_cache.name,
            "token_masked": redact(f"t={token.access_token}") == "t=***",
            "secret_masked": redact(f"s={hook.connection.password}") == "s=***",
        }

    authenticate()
