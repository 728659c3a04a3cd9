"""Connection types of the five vendors, as plain data.

This module is imported by :func:`airflow_provider_adtech.get_provider_info` and by
the hooks, so it must stay free of heavy imports: it is read whenever Airflow
discovers providers.

Every extra listed here is optional; its documented default is the value from the
vendor's own document (see ``docs/connections.md``).
"""

from __future__ import annotations

from typing import Any

# Extras every vendor connection understands (handled by hooks/base.py).
COMMON_FIELDS: dict[str, dict[str, Any]] = {
    "connect_timeout": {"label": "Connect timeout (s)", "type": "number", "default": 10},
    "read_timeout": {"label": "Read timeout (s)", "type": "number", "default": 120},
    "verify": {
        "label": "TLS verification",
        "type": "string",
        "description": "true (default), false, or the path of a CA bundle",
    },
    "max_retries": {"label": "Max retries", "type": "integer", "default": 5},
    "retry_max_elapsed": {
        "label": "Retry budget (s)",
        "type": "number",
        "default": 300,
        "description": "Total seconds spent retrying one request before giving up",
    },
    "token_cache": {
        "label": "Token cache",
        "type": "string",
        "default": "file",
        "description": "file (default, per machine), variable (shared through the metadata DB), memory",
    },
    "token_cache_dir": {
        "label": "Token cache folder",
        "type": "string",
        "description": "for token_cache=file; default $ADTECH_TOKEN_CACHE_DIR, else $AIRFLOW_HOME/adtech_token_cache",
    },
    "token_expiry_margin": {
        "label": "Token renewal margin (s)",
        "type": "number",
        "default": 300,
        "description": "renew this long before expiry (at most 10 % of the token's lifetime)",
    },
}

CONNECTION_TYPES: dict[str, dict[str, Any]] = {
    "ispot": {
        "hook": "airflow_provider_adtech.hooks.ispot.IspotHook",
        "hook_name": "iSpot",
        "default_conn": "ispot_default",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "Client ID", "password": "Client secret", "host": "API base URL"},
        "placeholders": {
            "host": "https://api.ispot.tv",
            "login": "20-character client_id",
            "password": "40-character client_secret",
        },
        "fields": {
            "token_path": {"label": "Token path", "type": "string", "default": "/v4/oauth2/token"},
            "upload_path": {"label": "Upload path", "type": "string", "default": "/v4/metrics/conversions"},
            "ispot_version": {"label": "iSpot-Version header", "type": "string"},
        },
    },
    "bidswitch": {
        "hook": "airflow_provider_adtech.hooks.bidswitch.BidSwitchHook",
        "hook_name": "BidSwitch",
        "default_conn": "bidswitch_default",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "myBidSwitch API user", "password": "Password", "host": "API base URL"},
        "placeholders": {"host": "https://api.bidswitch.com", "login": "API account user name"},
        "fields": {
            "token_url": {
                "label": "Token URL",
                "type": "string",
                "default": "https://uauth.iponweb.com/oauth2/token/",
                "description": "Keycloak variant: https://iam.bidswitch.com/auth/realms/bidswitch/"
                "protocol/openid-connect/token",
            },
            "token_scope": {"label": "Token scope", "type": "string", "default": "service_id=api.bidswitch.com"},
            "token_client_id": {
                "label": "Token client_id",
                "type": "string",
                "description": "Set to public-client for the Keycloak endpoint",
            },
        },
    },
    "freewheel": {
        "hook": "airflow_provider_adtech.hooks.freewheel.FreeWheelHook",
        "hook_name": "FreeWheel",
        "default_conn": "freewheel_default",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "User name", "password": "Password", "host": "API base URL"},
        "placeholders": {"host": "https://api.freewheel.tv (staging: https://api.stg.freewheel.tv)"},
        "fields": {
            "token_path": {"label": "Token path", "type": "string", "default": "/auth/token"},
            "linear_orders_path": {
                "label": "Linear orders path",
                "type": "string",
                "default": "/services/v4/linear_orders",
            },
            "aws_conn_id": {"label": "AWS connection for S3 delivery", "type": "string", "default": "aws_default"},
            "s3_bucket": {"label": "FreeWheel S3 bucket", "type": "string"},
            "s3_prefix": {"label": "Dedicated folder (prefix)", "type": "string"},
        },
    },
    "iqm": {
        "hook": "airflow_provider_adtech.hooks.iqm.IqmHook",
        "hook_name": "IQM",
        "default_conn": "iqm_default",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "Email", "password": "Password", "host": "API base URL"},
        "placeholders": {"host": "https://app.iqm.com", "login": "user@example.com"},
        "fields": {
            "client_id": {"label": "Client ID", "type": "string"},
            "client_secret": {"label": "Client secret", "type": "string", "sensitive": True},
            "ow_id": {"label": "Organization workspace id (X-IAA-OW-ID)", "type": "integer"},
            "workspace_host": {"label": "Workspace host (X-IAA-HOST)", "type": "string"},
            "login_style": {
                "label": "Login style",
                "type": "string",
                "default": "json",
                "description": "json: POST /api/v3/ua/login; form: POST /api/v3/ua/oauth/token",
            },
            "requests_per_minute": {
                "label": "Requests per minute",
                "type": "integer",
                "default": 20,
                "description": "client-side pacing under IQM's limit (20 a minute); 0 turns it off",
            },
        },
    },
    "optintelligence": {
        "hook": "airflow_provider_adtech.hooks.oi.OiHook",
        "hook_name": "Opt-Intelligence",
        "default_conn": "oi_default",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "API user", "password": "API password", "host": "API base URL"},
        "placeholders": {"host": "https://oiapi.com/v1/"},
        "fields": {},
    },
}


def fields_for(conn_type: str) -> dict[str, dict[str, Any]]:
    """All extras a connection type understands: the common ones, then the vendor's."""
    return {**COMMON_FIELDS, **CONNECTION_TYPES[conn_type]["fields"]}


def sensitive_extras(conn_type: str) -> list[str]:
    return [name for name, spec in fields_for(conn_type).items() if spec.get("sensitive")]


def provider_conn_fields(conn_type: str) -> dict[str, Any]:
    """The ``conn-fields`` block Airflow 3 reads from ``get_provider_info``."""
    out: dict[str, Any] = {}
    for name, spec in fields_for(conn_type).items():
        schema: dict[str, Any] = {"type": [spec["type"], "null"]}
        if "default" in spec:
            schema["default"] = spec["default"]
        entry: dict[str, Any] = {"label": spec["label"], "schema": schema}
        if spec.get("description"):
            entry["description"] = spec["description"]
        if spec.get("sensitive"):
            entry["sensitive"] = True
        out[name] = entry
    return out


def ui_field_behaviour(conn_type: str) -> dict[str, Any]:
    spec = CONNECTION_TYPES[conn_type]
    return {
        "hidden_fields": list(spec["hidden"]),
        "relabeling": dict(spec["relabeling"]),
        "placeholders": dict(spec["placeholders"]),
    }


def form_widgets(conn_type: str) -> dict[str, Any]:
    """WTForms widgets for the Airflow 2 connection form (imported lazily: webserver only)."""
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, IntegerField, PasswordField, StringField

    widgets: dict[str, Any] = {}
    for name, spec in fields_for(conn_type).items():
        label = lazy_gettext(spec["label"])
        desc = spec.get("description")
        if spec.get("sensitive"):
            widgets[name] = PasswordField(label, widget=BS3PasswordFieldWidget(), description=desc)
        elif spec["type"] == "boolean":
            widgets[name] = BooleanField(label, default=spec.get("default", False), description=desc)
        elif spec["type"] == "integer":
            widgets[name] = IntegerField(
                label, widget=BS3TextFieldWidget(), default=spec.get("default"), description=desc
            )
        else:
            widgets[name] = StringField(
                label, widget=BS3TextFieldWidget(), default=spec.get("default"), description=desc
            )
    return widgets
