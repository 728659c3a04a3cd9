"""What a user of the published package meets: metadata, README links, the sandbox's extra.

The built wheel and sdist themselves are checked by ``tools/check_dist.sh`` (``make
dist-check``): python -m build without warnings, twine check --strict,
check-wheel-contents, LICENSE, and a fresh venv with Airflow only.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

from airflow_provider_adtech.connection_fields import COMMON_FIELDS, CONNECTION_TYPES, RENAMED_EXTRAS
from airflow_provider_adtech.sandbox.core import Request, SandboxClient, SandboxServer, _is_loopback

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
INSTALL_HINT = 'pip install "airflow-provider-adtech[sandbox]"'

# Runs its argv[1] as Python with the named top-level modules made unimportable.
BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
BLOCKED = set(sys.argv[2].split(","))
sys.meta_path.insert(0, Block())
sys.argv = [sys.argv[0], *sys.argv[3:]]
exec(compile(CODE, "<test>", "exec"))
"""


def run_without(modules: str, code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", f"CODE = {code!r}\n" + BLOCK, "-", modules, *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_license_is_an_spdx_expression_with_its_file():
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in project["classifiers"])
    text = (ROOT / "LICENSE").read_text()
    for words in ("Apache License", "Version 2.0, January 2004", "END OF TERMS AND CONDITIONS"):
        assert words in text


def test_extras_bring_what_the_sandbox_and_the_suite_need():
    extras = PYPROJECT["project"]["optional-dependencies"]
    moto = [r for r in extras["sandbox"] if r.startswith("moto[")]
    assert moto and all(e in moto[0] for e in ("server", "s3", "sts"))
    assert any(r.startswith("pytest") for r in extras["sandbox"])
    test = " ".join(extras["test"])
    for needed in ("sandbox", "openlineage", "playwright", "pytest-asyncio", "pytest-timeout", "hypothesis"):
        assert needed in test, needed
    assert any(r.startswith("apache-airflow-providers-openlineage") for r in extras["openlineage"])


def test_project_urls_and_readme_links_are_absolute():
    urls = PYPROJECT["project"]["urls"]
    assert {"Homepage", "Documentation", "Source", "Changelog"} <= set(urls)
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert links
    for link in links:
        assert link.startswith(("https://", "#")), f"README links to {link!r}: broken on PyPI"
        if link.startswith(urls["Source"]):
            target = link[len(urls["Source"]):].removeprefix("/blob/main/").split("#")[0]
            assert (ROOT / target).exists(), link
    assert readme.splitlines()[3:5] == [
        "make demo   # runs every example DAG against the local sandbox of the five vendor APIs and moto S3",
        "make test   # runs the whole test suite on Airflow 3.3 and on Airflow 2.11",
    ]


def test_docs_list_every_extra_with_its_default():
    text = (ROOT / "docs" / "connections.md").read_text()
    for conn_type in CONNECTION_TYPES:
        for name, spec in {**COMMON_FIELDS, **CONNECTION_TYPES[conn_type]["fields"]}.items():
            default = spec.get("default")
            cell = "" if default is None else f"`{default}`"
            assert re.search(rf"^\| `{name}` \| {re.escape(cell)} \|", text, re.M), (conn_type, name)
    for renamed in RENAMED_EXTRAS.values():
        for old in renamed.values():
            assert f"`{old}`" in text


def test_sandbox_s3_without_moto_names_the_extra():
    proc = run_without("moto", "from airflow_provider_adtech.sandbox.__main__ import main; "
                       "raise SystemExit(main())", "--s3")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "moto" in lines[0] and INSTALL_HINT in lines[0]
    assert proc.stdout == ""  # stopped before the sandbox printed any connection


def test_pytest_plugin_without_pytest_names_the_extra():
    proc = run_without("pytest,_pytest", "import airflow_provider_adtech.sandbox.pytest_plugin")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].endswith(
        f"the sandbox's pytest plugin needs pytest, which is not installed: {INSTALL_HINT}"), proc.stderr


def test_sandbox_secrets_answer_loopback_clients_or_the_printed_token():
    server = SandboxServer()
    other = Request("GET", "/_sandbox/secrets", {}, io.BytesIO(), 0, "192.0.2.10")
    assert server._admin(other).status == 403
    with_token = Request("GET", "/_sandbox/secrets", {"X-Sandbox-Token": server.control_token},
                         io.BytesIO(), 0, "192.0.2.10")
    assert server._admin(with_token).status == 200
    wrong = Request("GET", "/_sandbox/secrets", {"X-Sandbox-Token": "guess"}, io.BytesIO(), 0, "192.0.2.10")
    assert server._admin(wrong).status == 403
    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("::ffff:127.0.0.1")
    assert not _is_loopback("10.0.0.1") and not _is_loopback("")


def test_sandbox_secrets_over_loopback_http():
    with SandboxServer() as server:
        assert set(SandboxClient(server.url).secrets()) >= {server.credentials["ispot"]["client_secret"]}
        req = urllib.request.Request(server.url + "/_sandbox/state")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.loads(resp.read())  # other controls unchanged


def test_sandbox_prints_the_token_only_when_bound_beyond_loopback():
    from airflow_provider_adtech.sandbox.__main__ import _loopback_only

    assert _loopback_only("127.0.0.1") and _loopback_only("localhost") and _loopback_only("::1")
    assert not _loopback_only("0.0.0.0")


@pytest.mark.parametrize("path", ["tests", "benchmarks", "example_dags", "tools"])
def test_sdist_leaves_out_what_needs_the_repository(path):
    lines = [line.split() for line in (ROOT / "MANIFEST.in").read_text().splitlines()]
    assert ["prune", path] in lines


def test_check_dist_script_is_wired():
    script = ROOT / "tools" / "check_dist.sh"
    assert script.stat().st_mode & 0o111
    text = script.read_text()
    for needed in ("python\" -m build", "twine\" check --strict", "check-wheel-contents", "LICENSE", "--s3"):
        assert needed.replace('"', "") in text.replace('"', ""), needed
