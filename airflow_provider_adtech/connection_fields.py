"""Connection types of the five vendors, as plain data, and the connection forms made from it.

This module is imported by :func:`airflow_provider_adtech.get_provider_info` and by
the hooks, so it must stay free of heavy imports: it is read whenever Airflow
discovers providers.

Every extra listed here is optional; its documented default is the value from the
vendor's own document (see ``docs/connections.md``). Only the extras marked
``"form": True`` are fields of the connection form (Admin -> Connections); every
other extra is set in the form's *Extra* JSON, as the official providers do with
their tuning settings.

Three rules keep the form working on every Airflow line:

* Airflow's secret masker hides the value of every extra whose name contains a
  sensitive word (``token``, ``secret``, ``password``, ...): in Airflow 3 the Add form
  would show, and save, ``***`` for such a field's default, and the Edit form shows
  ``***`` for its stored value. So a form field is named like a secret only when it
  is a secret, and then it has no default (``tests/core/test_connection_form.py``
  checks both with Airflow's own masker). The BidSwitch token-endpoint extras were
  renamed for that reason (``token_url`` -> ``auth_url`` ...); the old names are still
  read (:data:`RENAMED_EXTRAS`).
* A secret is a password input: ``format: password`` in ``conn-fields`` (Airflow >= 3.2)
  and a ``PasswordField`` in the WTForms widgets (Airflow 2.11, 3.0, 3.1).
* Airflow 2.11, 3.0 and 3.1 read ``get_ui_field_behaviour`` and
  ``get_connection_form_widgets`` from the hook class's *own* ``__dict__``:
  :func:`install_form_methods` puts them on each vendor hook class.
"""

from __future__ import annotations

import logging
from typing import Any

#: What Airflow's masker shows instead of a secret. A stored extra with this value was
#: saved from a form that showed a masked value; it is never a real setting.
MASKED = "***"
#: What Airflow 2's connection Edit form puts in place of a stored secret extra, and on
#: saving replaces with the stored value again (``airflow.www.views.SENSITIVE_FIELD_PLACEHOLDER``).
AIRFLOW2_SECRET_PLACEHOLDER = "RATHER_LONG_SENSITIVE_FIELD_PLACEHOLDER"
_NOT_A_VALUE = (MASKED, AIRFLOW2_SECRET_PLACEHOLDER)

# Extras every vendor connection understands (handled by hooks/base.py). None of them
# is in the form: they are tuning settings, set in the Extra JSON.
COMMON_FIELDS: dict[str, dict[str, Any]] = {
    "connect_timeout": {"label": "Connect timeout (s)", "type": "number", "default": 10},
    "read_timeout": {"label": "Read timeout (s)", "type": "number", "default": 120},
    "verify": {
        "label": "TLS verification",
        "type": "string",
        "default": "true",
        "description": "true, false, or the path of a CA bundle",
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
        "description": "file (per machine), variable (shared through the metadata DB), memory",
    },
    "token_cache_dir": {
        "label": "Token cache folder",
        "type": "string",
        "description": "for token_cache=file; default $ADTECH_TOKEN_CACHE_DIR, "
        "else $AIRFLOW_HOME/adtech_token_cache",
    },
    "token_expiry_margin": {
        "label": "Token renewal margin (s)",
        "type": "number",
        "default": 300,
        "description": "renew this long before expiry (at most 10 % of the token's lifetime)",
    },
}

BIDSWITCH_KEYCLOAK_TOKEN_URL = "https://iam.bidswitch.com/auth/realms/bidswitch/protocol/openid-connect/token"

CONNECTION_TYPES: dict[str, dict[str, Any]] = {
    "ispot": {
        "hook": "airflow_provider_adtech.hooks.ispot.IspotHook",
        "hook_name": "iSpot",
        "default_conn": "ispot_default",
        "doc_url": "https://www.ispot.tv/",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "Client ID", "password": "Client secret", "host": "API base URL"},
        "placeholders": {
            "host": "https://api.ispot.tv (the default)",
            "login": "20-character client_id",
            "password": "40-character client_secret",
        },
        "fields": {
            "token_path": {"label": "Token path", "type": "string", "default": "/v4/oauth2/token"},
            "upload_path": {"label": "Upload path", "type": "string", "default": "/v4/metrics/conversions"},
            "ispot_version": {"label": "iSpot-Version header", "type": "string",
                              "description": "sent with every call when set"},
        },
    },
    "bidswitch": {
        "hook": "airflow_provider_adtech.hooks.bidswitch.BidSwitchHook",
        "hook_name": "BidSwitch",
        "default_conn": "bidswitch_default",
        "doc_url": "https://www.bidswitch.com/",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "myBidSwitch API user", "password": "Password", "host": "API base URL"},
        "placeholders": {
            "host": "https://api.bidswitch.com (the default)",
            "login": "user with the role API Account",
        },
        "fields": {
            "auth_url": {
                "label": "Token URL",
                "type": "string",
                "default": "https://uauth.iponweb.com/oauth2/token/",
                "description": "empty: https://uauth.iponweb.com/oauth2/token/. The API base URL does not "
                "move it: with another API host, set this too",
                "form": True,
                "form_default": False,
                "renamed_from": "token_url",
            },
            "auth_client_id": {
                "label": "Token client_id",
                "type": "string",
                "description": "public-client with BidSwitch's Keycloak token URL "
                + BIDSWITCH_KEYCLOAK_TOKEN_URL,
                "form": True,
                "renamed_from": "token_client_id",
            },
            "auth_scope": {
                "label": "Token scope",
                "type": "string",
                "default": "service_id=api.bidswitch.com",
                "description": "an empty string leaves the scope out",
                "renamed_from": "token_scope",
            },
        },
    },
    "freewheel": {
        "hook": "airflow_provider_adtech.hooks.freewheel.FreeWheelHook",
        "hook_name": "FreeWheel",
        "default_conn": "freewheel_default",
        "doc_url": "https://www.freewheel.com/",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "User name", "password": "Password", "host": "API base URL"},
        "placeholders": {"host": "https://api.freewheel.tv (the default; staging: https://api.stg.freewheel.tv)"},
        "fields": {
            "token_path": {"label": "Token path", "type": "string", "default": "/auth/token"},
            "linear_orders_path": {
                "label": "Linear orders path",
                "type": "string",
                "default": "/services/v4/linear_orders",
            },
            "aws_conn_id": {
                "label": "AWS connection for S3 delivery",
                "type": "string",
                "default": "aws_default",
                "description": "the Airflow AWS connection that reaches FreeWheel's bucket",
                "form": True,
            },
            "s3_bucket": {"label": "FreeWheel S3 bucket", "type": "string", "form": True,
                          "description": "the bucket FreeWheel gives you (S3 delivery only)"},
            "s3_prefix": {"label": "Dedicated folder (prefix)", "type": "string", "form": True,
                          "description": "your folder in that bucket (S3 delivery only)"},
        },
    },
    "iqm": {
        "hook": "airflow_provider_adtech.hooks.iqm.IqmHook",
        "hook_name": "IQM",
        "default_conn": "iqm_default",
        "doc_url": "https://iqm.com/",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "Email", "password": "Password", "host": "API base URL"},
        "placeholders": {"host": "https://app.iqm.com (the default)", "login": "user@example.com"},
        "fields": {
            "client_id": {"label": "Client ID", "type": "string", "form": True,
                          "description": "from IQM, with the client secret"},
            "client_secret": {"label": "Client secret", "type": "string", "sensitive": True, "form": True},
            "ow_id": {"label": "Organization workspace id (X-IAA-OW-ID)", "type": "integer", "form": True,
                      "description": "empty: the workspace the login answers with"},
            "workspace_host": {"label": "Workspace host (X-IAA-HOST)", "type": "string", "form": True,
                               "description": "e.g. api.iqm.com; empty: the API base URL's host"},
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
        "doc_url": "https://www.opt-intelligence.com/",
        "hidden": ["schema", "port"],
        "relabeling": {"login": "API user", "password": "API password", "host": "API base URL"},
        "placeholders": {"host": "https://oiapi.com/v1/ (the default)"},
        "fields": {},
    },
}

#: Extras read under an older name too: ``{conn_type: {new name: old name}}``. A connection
#: saved with the old name keeps working; the new name wins when both are set.
RENAMED_EXTRAS: dict[str, dict[str, str]] = {
    conn_type: {name: spec["renamed_from"] for name, spec in ct["fields"].items() if "renamed_from" in spec}
    for conn_type, ct in CONNECTION_TYPES.items()
}


def fields_for(conn_type: str) -> dict[str, dict[str, Any]]:
    """All extras a connection type understands: the common ones, then the vendor's."""
    return {**COMMON_FIELDS, **CONNECTION_TYPES[conn_type]["fields"]}


def form_fields(conn_type: str) -> dict[str, dict[str, Any]]:
    """The extras that are fields of the connection form, in form order."""
    return {name: spec for name, spec in fields_for(conn_type).items() if spec.get("form")}


def form_default(spec: dict[str, Any]) -> Any:
    """The value a form field starts with, or ``None``.

    A secret never has one, and neither has a field marked ``"form_default": False``
    (its default is in its description instead).
    """
    if spec.get("sensitive") or spec.get("form_default") is False:
        return None
    return spec.get("default")


def sensitive_extras(conn_type: str) -> list[str]:
    return [name for name, spec in fields_for(conn_type).items() if spec.get("sensitive")]


def provider_conn_fields(conn_type: str) -> dict[str, Any]:
    """The ``conn-fields`` block Airflow >= 3.2 reads from ``get_provider_info``."""
    out: dict[str, Any] = {}
    for name, spec in form_fields(conn_type).items():
        schema: dict[str, Any] = {"type": [spec["type"], "null"]}
        default = form_default(spec)
        if default is not None:
            schema["default"] = default
        if spec.get("sensitive"):
            # what makes Airflow render a password input and treat the field as secret
            schema["format"] = "password"
        entry: dict[str, Any] = {"label": spec["label"], "schema": schema}
        if spec.get("description"):
            entry["description"] = spec["description"]
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
    """WTForms widgets for the connection form of Airflow 2.11, 3.0 and 3.1.

    Imported lazily: only the webserver (2.11) or the API server (3.0/3.1, which
    replaces these imports with stand-ins when FAB is not installed) calls this.
    """
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, IntegerField, PasswordField, StringField
    from wtforms.validators import Optional

    class StoredSecretWidget(BS3PasswordFieldWidget if isinstance(BS3PasswordFieldWidget, type) else object):
        """A password input that, on the Edit form of a connection holding the secret, shows
        Airflow 2's placeholder instead of nothing (never the secret itself).

        Airflow 2.11's Edit form renders a password extra empty and then deletes every
        extra submitted empty: saving the form unchanged would drop the secret. Submitted
        unchanged, the placeholder makes Airflow keep the stored value instead (the
        mechanism it has for the Extra JSON's secrets).
        """

        def __call__(self, field: Any, **kwargs: Any) -> Any:
            typed_now = any(getattr(field, "raw_data", None) or ())
            kwargs["value"] = AIRFLOW2_SECRET_PLACEHOLDER if field.data and not typed_now else ""
            return super().__call__(field, **kwargs)

    widgets: dict[str, Any] = {}
    for name, spec in form_fields(conn_type).items():
        label = lazy_gettext(spec["label"])
        kwargs: dict[str, Any] = {"description": spec.get("description") or ""}
        default = form_default(spec)
        if default is not None:
            kwargs["default"] = default
        if spec.get("sensitive"):
            widgets[name] = PasswordField(label, widget=_secret_widget(StoredSecretWidget), **kwargs)
        elif spec["type"] == "boolean":
            widgets[name] = BooleanField(label, **kwargs)
        elif spec["type"] == "integer":
            # Optional: an empty number field is "not set", not "not a valid integer"
            widgets[name] = IntegerField(label, validators=[Optional()], widget=BS3TextFieldWidget(),
                                         **kwargs)
        else:
            widgets[name] = StringField(label, widget=BS3TextFieldWidget(), **kwargs)
    return widgets


def _secret_widget(widget_cls: type) -> Any:
    """An instance of ``widget_cls`` that renders the value its ``__call__`` passes.

    Airflow 3.0/3.1 build the widgets with stand-in classes when FAB is not installed;
    those take no arguments, hence the attribute instead of ``hide_value=False``.
    """
    widget = widget_cls()
    widget.hide_value = False
    return widget


def install_form_methods(hook_cls: type) -> None:
    """Give ``hook_cls`` its own ``get_ui_field_behaviour`` and ``get_connection_form_widgets``.

    Airflow 2.11, 3.0 and 3.1 look for both only in the class's own ``__dict__``
    (inherited ones are ignored, so that one form is not registered for every subclass),
    hence one pair per vendor hook class, made from this module's data for its
    ``conn_type``.
    """
    conn_type = hook_cls.__dict__["conn_type"]
    if conn_type not in CONNECTION_TYPES:
        raise ValueError(f"{hook_cls.__name__}: unknown conn_type {conn_type!r}")

    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Custom labels, placeholders and hidden standard fields of the connection form."""
        return ui_field_behaviour(conn_type)

    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The extras shown as fields of the connection form (WTForms widgets)."""
        return form_widgets(conn_type)

    for fn in (get_ui_field_behaviour, get_connection_form_widgets):
        fn.__qualname__ = f"{hook_cls.__qualname__}.{fn.__name__}"
        fn.__module__ = hook_cls.__module__
        setattr(hook_cls, fn.__name__, classmethod(fn))


def usable_extras(conn_type: str, extra: dict[str, Any] | None, conn_id: str,
                  log: logging.Logger | Any | None = None) -> dict[str, Any]:
    """A connection's extras as the hooks read them.

    * A value of ``***`` (or Airflow 2's placeholder for a secret) is dropped with a
      warning: it is what a form saved where it showed a masked value, never a real
      setting, so the extra's default applies.
    * An extra saved under its older name (:data:`RENAMED_EXTRAS`) is also found
      under its current name.
    """
    out = dict(extra or {})
    for name in [k for k, v in out.items() if isinstance(v, str) and v.strip() in _NOT_A_VALUE]:
        del out[name]
        (log or logging.getLogger(__name__)).warning(
            "connection %r: extra %r holds a masked value saved from a connection form, not a "
            "setting; it is ignored (the default applies). Set the real value or remove the extra.",
            conn_id, name,
        )
    for new, old in RENAMED_EXTRAS.get(conn_type, {}).items():
        if new not in out and old in out:
            out[new] = out[old]
    return out
