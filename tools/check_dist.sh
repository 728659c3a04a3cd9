#!/usr/bin/env bash
# Is the package ready for PyPI? Builds the sdist and the wheel (the wheel from the sdist,
# as PyPI users' pip would) and checks:
#   * the build prints no warning (setuptools' deprecations included);
#   * twine check --strict and check-wheel-contents pass;
#   * the wheel carries LICENSE, an SPDX License-Expression, Project-URLs and no licence
#     classifier; its README (the PyPI page) has no relative link;
#   * the sdist carries LICENSE and no tests (they need the repository: run them from a clone);
#   * installed into a fresh venv with Airflow only, `adtech-sandbox --s3` fails with one
#     line naming the `sandbox` extra; with the extra, `adtech-sandbox --s3 --check` passes.
# Usage: tools/check_dist.sh            (PYTHON=python3.11, AIRFLOW_VERSION=3.3.2 to choose;
#        CHECK_DIST_INSTALL=0 skips the fresh-venv install, the slow part)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
AIRFLOW_VERSION=${AIRFLOW_VERSION:-3.3.2}
work=$(mktemp -d "${TMPDIR:-/tmp}/adtech-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "check_dist: FAIL: $*" >&2; exit 1; }
step() { echo "check_dist: $*"; }

step "build tools in $work/tools"
"$PYTHON" -m venv "$work/tools"
"$work/tools/bin/pip" install -q --disable-pip-version-check build twine check-wheel-contents

step "python -m build (sdist, then the wheel from the sdist)"
# byte-compiling is switched off by PYTHONDONTWRITEBYTECODE, which setuptools reports as a warning
if ! env -u PYTHONDONTWRITEBYTECODE "$work/tools/bin/python" -m build -o "$work/dist" . >"$work/build.log" 2>&1; then
    tail -50 "$work/build.log"; fail "python -m build failed"
fi
# (pip's own notes about this machine's index configuration are not the package's)
if grep -i -n "warn" "$work/build.log" | grep -v "WARNING: Location '"; then
    fail "the build printed warnings (above)"
fi
wheel=$(ls "$work"/dist/*.whl); sdist=$(ls "$work"/dist/*.tar.gz)

step "twine check --strict, check-wheel-contents"
"$work/tools/bin/twine" check --strict "$wheel" "$sdist"
"$work/tools/bin/check-wheel-contents" "$wheel"

step "wheel and sdist contents, metadata"
"$work/tools/bin/python" - "$wheel" "$sdist" <<'EOF'
import re, sys, tarfile, zipfile
from email import message_from_bytes

wheel, sdist = sys.argv[1:3]
problems = []
with zipfile.ZipFile(wheel) as zf:
    names = zf.namelist()
    meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    meta = message_from_bytes(zf.read(meta_name))
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
    problems.append("the wheel has no dist-info/licenses/LICENSE")
if meta.get("License-Expression") != "Apache-2.0":
    problems.append(f"License-Expression is {meta.get('License-Expression')!r}, not 'Apache-2.0'")
if "LICENSE" not in (meta.get_all("License-File") or []):
    problems.append("METADATA names no License-File LICENSE")
if any(c.startswith("License ::") for c in meta.get_all("Classifier") or []):
    problems.append("a licence classifier is left (the SPDX expression replaces it)")
urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
for label in ("Homepage", "Documentation", "Source", "Changelog"):
    if not urls.get(label, "").startswith("https://"):
        problems.append(f"no https Project-URL {label!r}")
if any(n.startswith("tests/") for n in names):
    problems.append("the wheel holds tests")
readme = meta.get_payload()
for target in re.findall(r"\]\(([^)\s]+)", readme):
    if not target.startswith(("https://", "http://", "#", "mailto:")):
        problems.append(f"the PyPI README links to the relative {target!r}")
extras = set(meta.get_all("Provides-Extra") or [])
if not {"sandbox", "test"} <= extras:
    problems.append(f"extras sandbox and test missing: {sorted(extras)}")
with tarfile.open(sdist) as tf:
    snames = [n.split("/", 1)[1] for n in tf.getnames() if "/" in n]
if "LICENSE" not in snames:
    problems.append("the sdist has no LICENSE")
orphans = [n for n in snames if n.startswith("tests/")]
if orphans:
    problems.append(f"the sdist holds tests without their conftest and data: {orphans}")
for p in problems:
    print("  -", p)
sys.exit(1 if problems else 0)
EOF

if [ "${CHECK_DIST_INSTALL:-1}" = "0" ]; then
    step "skipped the fresh-venv install (CHECK_DIST_INSTALL=0)"
    step "OK"
    exit 0
fi

step "fresh venv: the wheel and Airflow $AIRFLOW_VERSION only"
"$PYTHON" -m venv "$work/user"
"$work/user/bin/pip" install -q --disable-pip-version-check "$wheel" "apache-airflow==$AIRFLOW_VERSION"
export AIRFLOW_HOME="$work/airflow-home" AIRFLOW__CORE__LOAD_EXAMPLES=False
set +e
"$work/user/bin/adtech-sandbox" --s3 >"$work/s3.out" 2>"$work/s3.err"
rc=$?
set -e
cat "$work/s3.err"
[ "$rc" = 2 ] || fail "adtech-sandbox --s3 without the extra exited $rc, expected 2"
[ "$(wc -l <"$work/s3.err")" = 1 ] || fail "expected one line of error, got the above"
grep -q 'pip install "airflow-provider-adtech\[sandbox\]"' "$work/s3.err" || fail "the error names no extra"

step "with the sandbox extra: adtech-sandbox --s3 --check"
"$work/user/bin/pip" install -q --disable-pip-version-check "${wheel}[sandbox]" "apache-airflow==$AIRFLOW_VERSION"
"$work/user/bin/adtech-sandbox" --s3 --check
"$work/user/bin/python" -c "import airflow_provider_adtech.sandbox.pytest_plugin"
step "OK"
