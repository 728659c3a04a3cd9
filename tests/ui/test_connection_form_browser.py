"""The five connection forms in Airflow's real UI, in a real browser (Airflow 3 and 2.11).

For each connection type, as a new user would: open Admin -> Connections -> Add,
check that the form shows the vendor's labels and fields (and hides the unused ones),
that secrets are password inputs and that no field offers ``***``; type the sandbox's
credentials and leave every other field at its default; press Test and see success;
Save; reopen Edit and Save again without changes; after each Save the stored
connection holds exactly what was typed plus the form's defaults, and
``test_connection()`` of the stored connection passes. Screenshots of every form land
in ``tests/ui/output/airflow-<version>/``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from airflow_provider_adtech.connection_fields import (
    CONNECTION_TYPES,
    MASKED,
    form_default,
    form_fields,
)
from airflow_provider_adtech.sandbox.credentials import connections
from forms import Airflow2Form, Airflow3Form



def _airflow30_without_fab() -> bool:
    import importlib.util
    from importlib.metadata import version

    return (version("apache-airflow").startswith("3.0.")
            and importlib.util.find_spec("flask_appbuilder") is None)


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_airflow30_without_fab(), reason="Airflow 3.0 builds every provider's connection form "
                       "from WTForms, so only with apache-airflow-providers-fab installed; without it every "
                       "connection type, the official ones too, gets the generic form"),
]

CONN_TYPES = list(CONNECTION_TYPES)


def _hook_class(conn_type: str) -> type:
    import importlib

    module, _, name = CONNECTION_TYPES[conn_type]["hook"].rpartition(".")
    return getattr(importlib.import_module(module), name)


def typed_values(conn_type: str, sandbox: Any) -> dict[str, Any]:
    """What the user types: the sandbox's host and credentials, and of the form's extras
    those the sandbox needs that have no default of their own (the rest stay as the form
    offers them)."""
    spec = CONNECTION_TYPES[conn_type]
    conn = connections(sandbox.url, sandbox.credentials)[spec["default_conn"]]
    fields = form_fields(conn_type)
    extra = {k: str(v) for k, v in conn["extra"].items() if k in fields and form_default(fields[k]) is None}
    if conn_type == "iqm":
        extra["ow_id"] = sandbox.credentials["iqm"]["ow_id"]  # the form's number field
    return {"host": conn["host"], "login": conn["login"], "password": conn["password"], "extra": extra}


def expected_extras(conn_type: str, typed: dict[str, Any]) -> dict[str, str]:
    fields = form_fields(conn_type)
    out = {name: str(form_default(f)) for name, f in fields.items() if form_default(f) is not None}
    out.update(typed["extra"])
    return out


def stored_extras(stored: dict[str, Any]) -> dict[str, str]:
    """The stored extras, fields left empty (null in Airflow 3, absent in 2) dropped."""
    return {k: str(v) for k, v in stored["extra_dejson"].items() if v is not None and v != ""}


def check_stored(stored: dict[str, Any], conn_type: str, typed: dict[str, Any], when: str) -> None:
    assert stored["conn_type"] == conn_type
    assert (stored.get("host"), stored.get("login"), stored.get("password")) == (
        typed["host"], typed["login"], typed["password"]), f"{when}: standard fields differ"
    assert stored_extras(stored) == expected_extras(conn_type, typed), f"{when}: extras differ"
    assert MASKED not in json.dumps(stored["extra_dejson"]), f"{when}: a masked value was stored"


def check_form(form: Any, conn_type: str, *, editing: bool, typed: dict[str, Any] | None = None,
               masks_secrets: bool = True) -> dict:
    """The form shows the vendor's standard fields and extras; returns the extras by label."""
    spec = CONNECTION_TYPES[conn_type]
    standard = form.standard()
    for hidden in spec["hidden"]:
        assert hidden not in standard, f"{hidden} should be hidden"
    for name, label in spec["relabeling"].items():
        assert name in standard and standard[name].label == label, (name, standard.get(name))
    if not editing:
        for name, placeholder in spec["placeholders"].items():
            assert standard[name].input.get_attribute("placeholder") == placeholder, name
    assert standard["password"].type == "password"
    extras = form.extras()
    fields = form_fields(conn_type)
    assert sorted(extras) == sorted(f["label"] for f in fields.values()), "the form's extras"
    for name, f in fields.items():
        shown = extras[f["label"]]
        if f.get("sensitive"):
            if masks_secrets:
                assert shown.type == "password", f"{name} is a secret: a password input"
            else:
                form.notes.append(f"{name}: a {shown.type} input (this Airflow's UI renders no extra "
                                  "field as a password input)")
        else:
            assert shown.type != "password", name
            assert shown.value != MASKED, f"{name} shows {MASKED}"
            if editing and typed is not None:
                want = typed["extra"].get(name, form_default(f))
                assert shown.value == ("" if want is None else str(want)), f"{name} on the Edit form"
            elif not editing:
                default = form_default(f)
                assert shown.value == ("" if default is None else str(default)), f"{name}: its default"
        if not editing:
            assert shown.value != MASKED
    return extras


@pytest.mark.parametrize("conn_type", CONN_TYPES)
def test_connection_form(conn_type, airflow_ui, browser_context, ui_output, timings, monkeypatch, tmp_path):
    ui, sandbox = airflow_ui
    t0 = time.monotonic()
    spec = CONNECTION_TYPES[conn_type]
    conn_id = f"browser_{conn_type}"
    typed = typed_values(conn_type, sandbox)
    page = browser_context.new_page()
    form = (Airflow3Form if ui.major >= 3 else Airflow2Form)(page, ui)
    try:
        if not getattr(browser_context, "_adtech_logged_in", False):
            form.login()
            browser_context._adtech_logged_in = True

        # ---- Add Connection: the vendor's form, with its defaults and no masked value
        form.open_add(conn_id, conn_type, spec["hook_name"])
        standard = form.standard()
        page.screenshot(path=str(ui_output / f"{conn_type}-add.png"), full_page=True)
        extras = check_form(form, conn_type, editing=False, masks_secrets=ui.masks_secret_extras)
        standard = form.standard()
        for name in ("host", "login", "password"):
            standard[name].input.fill(typed[name])
        extras = form.extras()
        for name, value in typed["extra"].items():
            extras[form_fields(conn_type)[name]["label"]].input.fill(value)
        page.screenshot(path=str(ui_output / f"{conn_type}-add-filled.png"), full_page=True)
        if ui.major >= 3 and extras:
            form.standard()
            page.screenshot(path=str(ui_output / f"{conn_type}-add-filled-standard.png"), full_page=True)

        # ---- Test (Airflow 2: in the form) and Save
        result = form.test_before_save()
        if result is not None:
            page.screenshot(path=str(ui_output / f"{conn_type}-test-button.png"), full_page=True)
        form.save_add()
        stored = ui.stored_connection(conn_id)
        check_stored(stored, conn_type, typed, "after Add")
        if result is None:  # Airflow 3: the Test button of the connection list
            result = form.test_after_save(conn_id, stored)
            page.screenshot(path=str(ui_output / f"{conn_type}-test-button.png"), full_page=True)
        assert result[0], f"Test: {result[1]}"
        assert spec["hook_name"] in result[1] or "authenticated" in result[1], result[1]

        # ---- Edit: the stored values shown (no ***), Save unchanged, nothing lost
        form.open_edit(conn_id, stored)
        check_form(form, conn_type, editing=True, typed=typed, masks_secrets=ui.masks_secret_extras)
        page.screenshot(path=str(ui_output / f"{conn_type}-edit.png"), full_page=True)
        description = form.save_edit()
        stored = ui.stored_connection(conn_id)
        check_stored(stored, conn_type, typed, "after Edit + Save")
        if description is not None:
            assert stored.get("description") == description
    except BaseException:
        page.screenshot(path=str(ui_output / f"{conn_type}-FAILED.png"), full_page=True)
        raise
    finally:
        page.close()

    # ---- the stored connection, defaults included, passes test_connection()
    conn = {k: stored.get(k) for k in ("conn_type", "host", "login", "password")}
    conn["extra"] = stored["extra_dejson"]
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    monkeypatch.setenv("ADTECH_TOKEN_CACHE_DIR", str(tmp_path / "token-cache"))
    ok, message = _hook_class(conn_type)(conn_id).test_connection()
    assert ok, message
    timings[f"form {conn_type}"] = time.monotonic() - t0
    for note in form.notes:
        (ui_output / "notes.txt").open("a").write(f"{conn_type}: {note}\n")


def test_form_screenshots_were_saved(ui_output):
    """Runs after the five forms: every form has its screenshots."""
    names = {p.name for p in ui_output.glob("*.png")}
    for conn_type in CONN_TYPES:
        for step in ("add", "add-filled", "edit"):
            assert f"{conn_type}-{step}.png" in names, (conn_type, step, sorted(names))
