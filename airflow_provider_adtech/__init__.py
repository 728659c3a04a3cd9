"""Apache Airflow provider for ad-tech vendors: iSpot, BidSwitch, FreeWheel, IQM, Opt-Intelligence."""

from __future__ import annotations

__version__ = "0.1.0"

_INTEGRATIONS = {
    "iSpot": "ispot",
    "BidSwitch": "bidswitch",
    "FreeWheel": "freewheel",
    "IQM": "iqm",
    "Opt-Intelligence": "oi",
}
_OPERATOR_MODULES = {"iSpot": "ispot", "BidSwitch": "bidswitch", "FreeWheel": "freewheel", "IQM": "iqm",
                     "Opt-Intelligence": "oi"}


def get_provider_info() -> dict:
    """Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""
    from airflow_provider_adtech.connection_fields import (
        CONNECTION_TYPES,
        provider_conn_fields,
        ui_field_behaviour,
    )

    pkg = "airflow_provider_adtech"
    return {
        "package-name": "airflow-provider-adtech",
        "name": "Ad-tech vendors (iSpot, BidSwitch, FreeWheel, IQM, Opt-Intelligence)",
        "description": "Hooks, operators and a sensor for iSpot, BidSwitch, FreeWheel, IQM and "
        "Opt-Intelligence, with a local sandbox of their APIs.",
        "versions": [__version__],
        "integrations": [
            {"integration-name": spec["hook_name"], "external-doc-url": spec["doc_url"], "tags": ["service"]}
            for spec in CONNECTION_TYPES.values()
        ],
        "hooks": [
            {"integration-name": name, "python-modules": [f"{pkg}.hooks.{mod}"]}
            for name, mod in _INTEGRATIONS.items()
        ],
        "operators": [
            {"integration-name": name, "python-modules": [f"{pkg}.operators.{mod}"]}
            for name, mod in _OPERATOR_MODULES.items()
        ],
        "sensors": [{"integration-name": "Opt-Intelligence", "python-modules": [f"{pkg}.sensors.oi"]}],
        "triggers": [{"integration-name": "Opt-Intelligence", "python-modules": [f"{pkg}.triggers.oi"]}],
        "connection-types": [
            {
                "connection-type": conn_type,
                "hook-class-name": spec["hook"],
                "hook-name": spec["hook_name"],
                "ui-field-behaviour": {
                    key.replace("_", "-"): value for key, value in ui_field_behaviour(conn_type).items()
                },
                "conn-fields": provider_conn_fields(conn_type),
            }
            for conn_type, spec in CONNECTION_TYPES.items()
        ],
    }
