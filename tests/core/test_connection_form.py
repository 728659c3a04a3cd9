"""The connection forms as each Airflow line reads them, and what a form can have saved.

The browser test (``tests/ui``) walks the forms in the real UI; these tests pin the
pieces: the form methods on each hook class's own ``__dict__`` (Airflow 2.11, 3.0,
3.1), ``conn-fields`` and what the API sends the UI (3.2+), Airflow's masker, a
stored ``***`` and the renamed BidSwitch extras.
"""

from __future__ import annotations

import importlib
import json
import logging
import os

import pytest

from airflow_provider_adtech import get_provider_info
from airflow_provider_adtech.connection_fields import (
    AIRFLOW2_SECRET_PLACEHOLDER,
    CONNECTION_TYPES,
    MASKED,
    RENAMED_EXTRAS,
    fields_for,
    form_default,
    form_fields,
    provider_conn_fields,
    ui_field_behaviour,
    usable_extras,
)

CONN_TYPES = list(CONNECTION_TYPES)


def hook_class(conn_type: str) -> type:
    module, _, name = CONNECTION_TYPES[conn_type]["hook"].rpartition(".")
    return getattr(importlib.import_module(module), name)


def should_hide(name: str) -> bool:
    """Airflow's own decision whether the value of an extra named ``name`` is masked."""
    for module in ("airflow._shared.secrets_masker",  # Airflow >= 3.1: the API server's masker
                   "airflow.sdk.execution_time.secrets_masker",  # Airflow 3.0
                   "airflow.utils.log.secrets_masker"):  # Airflow 2
        try:
            return importlib.import_module(module).should_hide_value_for_key(name)
        except ImportError:
            continue
    raise ImportError("no secret masker found in this Airflow")


def airflow_version() -> tuple[int, int]:
    from importlib.metadata import version

    major, minor = version("apache-airflow").split(".")[:2]
    return int(major), int(minor)


def airflow_major() -> int:
    return airflow_version()[0]


# ---------------------------------------------------------------------------- the data
@pytest.mark.parametrize("conn_type", CONN_TYPES)
def test_no_form_field_is_offered_or_shown_masked(conn_type):
    """The masker hides values of fields named like secrets: only real secrets may be named
    so, and a form field so named never has a default (the Add form would save ``***``)."""
    for name, spec in form_fields(conn_type).items():
        if should_hide(name):
            assert spec.get("sensitive"), f"{conn_type}.{name}: named like a secret but is not one"
        if spec.get("sensitive"):
            assert form_default(spec) is None, f"{conn_type}.{name}: a secret with a default"
    for name, entry in provider_conn_fields(conn_type).items():
        if should_hide(name):
            assert "default" not in entry["schema"], f"{conn_type}.{name}"


@pytest.mark.parametrize("conn_type", CONN_TYPES)
def test_secrets_are_password_inputs_in_conn_fields(conn_type):
    for name, entry in provider_conn_fields(conn_type).items():
        secret = bool(fields_for(conn_type)[name].get("sensitive"))
        assert (entry["schema"].get("format") == "password") is secret, name
        assert "sensitive" not in entry  # not a key Airflow reads


def test_forms_are_short():
    """Credentials, ids, URLs where vendors disagree; tuning settings stay in the Extra JSON."""
    for conn_type in CONN_TYPES:
        assert len(form_fields(conn_type)) <= 4, conn_type
    assert list(form_fields("bidswitch")) == ["auth_url", "auth_client_id"]
    assert list(form_fields("iqm")) == ["client_id", "client_secret", "ow_id", "workspace_host"]


# ---------------------------------------------------------------------------- the hook classes
@pytest.mark.parametrize("conn_type", CONN_TYPES)
def test_each_hook_class_has_its_own_form_methods(conn_type):
    """Airflow 2.11, 3.0 and 3.1 read both methods only from the hook class's own ``__dict__``."""
    cls = hook_class(conn_type)
    assert "get_ui_field_behaviour" in cls.__dict__
    assert "get_connection_form_widgets" in cls.__dict__
    assert cls.get_ui_field_behaviour() == ui_field_behaviour(conn_type)
    assert cls.get_ui_field_behaviour.__qualname__ == f"{cls.__name__}.get_ui_field_behaviour"


def test_a_subclass_of_a_vendor_hook_keeps_its_parents_form():
    from airflow_provider_adtech.hooks.ispot import IspotHook

    class MyIspotHook(IspotHook):
        pass

    assert "get_ui_field_behaviour" not in MyIspotHook.__dict__
    assert MyIspotHook.get_ui_field_behaviour() == ui_field_behaviour("ispot")


def test_a_subclass_with_a_connection_type_of_its_own_gets_no_form_of_ours():
    from airflow_provider_adtech.hooks.ispot import IspotHook

    class StagingIspotHook(IspotHook):
        conn_type = "ispot_staging"

    assert "get_ui_field_behaviour" not in StagingIspotHook.__dict__


@pytest.mark.skipif(airflow_major() >= 3, reason="Airflow 2's webserver form (FAB, WTForms)")
def test_airflow2_providers_manager_registers_every_form():
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    widgets = pm.connection_form_widgets
    for conn_type in CONN_TYPES:
        assert pm.field_behaviours[conn_type] == ui_field_behaviour(conn_type)
        mine = {w.field_name: w for k, w in widgets.items() if k.startswith(f"extra__{conn_type}__")}
        assert set(mine) == set(form_fields(conn_type)), conn_type
        for name, w in mine.items():
            assert w.is_sensitive is bool(fields_for(conn_type)[name].get("sensitive")), name


@pytest.mark.skipif(airflow_major() >= 3, reason="Airflow 2's webserver form (FAB, WTForms)")
def test_airflow2_widgets_and_the_stored_secret_placeholder():
    from wtforms import Form, IntegerField, PasswordField, StringField
    from wtforms.validators import Optional

    widgets = hook_class("iqm").get_connection_form_widgets()
    assert widgets["client_secret"].field_class is PasswordField
    assert widgets["ow_id"].field_class is IntegerField
    assert any(isinstance(v, Optional) for v in widgets["ow_id"].kwargs["validators"])
    assert widgets["workspace_host"].field_class is StringField
    freewheel = hook_class("freewheel").get_connection_form_widgets()
    assert freewheel["aws_conn_id"].kwargs["default"] == "aws_default"

    form_cls = type("F", (Form,), dict(widgets))
    empty = form_cls()
    assert 'value=""' in str(empty.client_secret())
    stored = form_cls()
    stored.client_secret.data = "the-real-secret"  # what Airflow's Edit form pre-fills
    html = str(stored.client_secret())
    assert AIRFLOW2_SECRET_PLACEHOLDER in html and "the-real-secret" not in html
    assert 'type="password"' in html


@pytest.mark.skipif(airflow_major() < 3, reason="what Airflow 3's API sends its connection form")
def test_airflow3_ui_metadata_has_the_fields_and_no_masked_value():
    services = pytest.importorskip("airflow.api_fastapi.core_api.services.ui.connections")
    if airflow_version() < (3, 1):
        pytest.importorskip("flask_appbuilder", reason="Airflow 3.0 builds every provider's connection form "
                            "from WTForms: only with apache-airflow-providers-fab installed")
    meta = {m.connection_type: m for m in services.HookMetaService.hook_meta_data()}
    for conn_type in CONN_TYPES:
        m = meta[conn_type]
        extra = dict(m.extra_fields or {})
        assert set(extra) == set(form_fields(conn_type)), conn_type
        dumped = json.dumps(extra, default=str)
        assert f'"{MASKED}"' not in dumped, f"{conn_type}: a field arrives masked: {dumped}"
        for name, spec in form_fields(conn_type).items():
            schema = extra[name]["schema"]
            assert (schema.get("format") == "password") is bool(spec.get("sensitive")), name
            assert schema.get("title") == spec["label"]
        assert m.standard_fields.login.title == CONNECTION_TYPES[conn_type]["relabeling"]["login"]
        assert m.standard_fields.port.hidden and m.standard_fields.url_schema.hidden


def test_provider_info_integrations_have_their_vendors_docs():
    info = get_provider_info()
    assert {i["integration-name"] for i in info["integrations"]} == {
        spec["hook_name"] for spec in CONNECTION_TYPES.values()}
    for integration in info["integrations"]:
        assert integration["external-doc-url"].startswith("https://")


def test_provider_info_is_valid_against_airflows_schema():
    jsonschema = pytest.importorskip("jsonschema")
    import airflow

    path = os.path.join(os.path.dirname(airflow.__file__), "provider_info.schema.json")
    with open(path) as fh:
        jsonschema.validate(get_provider_info(), json.load(fh))


# ---------------------------------------------------------------------------- what a form saved
def test_a_stored_masked_value_is_ignored_with_a_warning(caplog):
    extra = {"token_cache": "***", "connect_timeout": " *** ", "read_timeout": 30}
    with caplog.at_level(logging.WARNING):
        out = usable_extras("ispot", extra, "ispot_default")
    assert out == {"read_timeout": 30}
    assert "'token_cache'" in caplog.text and "'ispot_default'" in caplog.text and "ignored" in caplog.text


def test_airflow2_placeholder_is_never_taken_for_a_secret():
    out = usable_extras("iqm", {"client_secret": AIRFLOW2_SECRET_PLACEHOLDER, "client_id": "c"}, "iqm_x")
    assert out == {"client_id": "c"}


def _set_connection(monkeypatch, conn_id: str, **extra):
    key = f"AIRFLOW_CONN_{conn_id.upper()}"
    conn = json.loads(os.environ[key])
    conn["extra"].update(extra)
    monkeypatch.setenv(key, json.dumps(conn))


def test_a_connection_saved_with_masked_defaults_still_works(sandbox, monkeypatch, caplog, capsys):
    """What Airflow 3.3 saved from the 0.1.0 form: every token_* default as ``***``."""
    from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook

    _set_connection(monkeypatch, "bidswitch_default", token_cache=MASKED, token_expiry_margin=MASKED,
                    token_scope=MASKED)
    with caplog.at_level(logging.WARNING):
        ok, message = BidSwitchHook().test_connection()
    assert ok, message
    logged = caplog.text + capsys.readouterr().out  # Airflow 3 logs through structlog to stdout
    assert "'token_cache'" in logged and "'token_scope'" in logged and "ignored" in logged


def test_the_former_bidswitch_extra_names_are_still_read(sandbox, monkeypatch):
    from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook

    key = "AIRFLOW_CONN_BIDSWITCH_DEFAULT"
    conn = json.loads(os.environ[key])
    conn["extra"] = {k: v for k, v in conn["extra"].items() if k != "auth_url"}
    conn["extra"].update(token_url=f"{sandbox.url}/auth/realms/bidswitch/protocol/openid-connect/token",
                         token_client_id="public-client", token_scope="")
    monkeypatch.setenv(key, json.dumps(conn))
    hook = BidSwitchHook()
    assert hook.token_url().endswith("/openid-connect/token")
    assert hook.get_token().refresh_token  # the Keycloak variant answered
    assert sandbox.journal.count("bidswitch.keycloak_token") == 1
    assert RENAMED_EXTRAS["bidswitch"] == {"auth_url": "token_url", "auth_client_id": "token_client_id",
                                           "auth_scope": "token_scope"}


def test_the_new_name_wins_over_the_former_one():
    out = usable_extras("bidswitch", {"token_url": "https://old/", "auth_url": "https://new/"}, "b")
    assert out["auth_url"] == "https://new/"
