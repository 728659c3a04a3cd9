"""Provider metadata: what Airflow's ProvidersManager reads."""

from __future__ import annotations

import importlib
import subprocess
import sys

from airflow_provider_adtech import get_provider_info
from airflow_provider_adtech.connection_fields import fields_for


def _import(dotted: str):
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def test_provider_info_lists_five_connection_types_with_fields():
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-adtech"
    types = {c["connection-type"]: c for c in info["connection-types"]}
    assert set(types) == {"ispot", "bidswitch", "freewheel", "iqm", "optintelligence"}
    for conn_type, spec in types.items():
        hook_cls = _import(spec["hook-class-name"])
        assert hook_cls.conn_type == conn_type
        assert hook_cls.default_conn_name.endswith("_default")
        assert spec["hook-name"] == hook_cls.hook_name
        assert set(spec["conn-fields"]) == {n for n, f in fields_for(conn_type).items() if f.get("form")}
        for integration in info["integrations"]:
            assert integration["external-doc-url"].startswith("https://")
        assert spec["ui-field-behaviour"]["relabeling"]["login"]
        behaviour = hook_cls.get_ui_field_behaviour()
        assert behaviour["hidden_fields"] == spec["ui-field-behaviour"]["hidden-fields"]


def test_entry_point_is_registered():
    from importlib.metadata import entry_points

    eps = [ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_provider_adtech")]
    assert len(eps) == 1
    assert eps[0].load() is get_provider_info


def test_airflow_lists_the_provider_and_its_connection_types():
    providers = subprocess.run([sys.executable, "-m", "airflow", "providers", "list", "-o", "plain"],
                               capture_output=True, text=True, timeout=300)
    assert "airflow-provider-adtech" in providers.stdout, providers.stderr[-2000:]
    hooks = subprocess.run([sys.executable, "-m", "airflow", "providers", "hooks", "-o", "plain"],
                           capture_output=True, text=True, timeout=300)
    for conn_type in ("ispot", "bidswitch", "freewheel", "iqm", "optintelligence"):
        assert f"{conn_type} " in hooks.stdout or f"{conn_type}\t" in hooks.stdout, hooks.stdout[-3000:]
