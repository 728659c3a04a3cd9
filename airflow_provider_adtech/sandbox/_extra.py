"""The one-line error for a sandbox feature whose optional packages are not installed."""

from __future__ import annotations

INSTALL = 'pip install "airflow-provider-adtech[sandbox]"'


class SandboxExtraMissing(ImportError):
    """A sandbox feature needs the ``sandbox`` extra (moto for S3, pytest for the plugin)."""


def extra_missing(feature: str, exc: ImportError) -> SandboxExtraMissing:
    """The error to raise ``from None`` when importing what ``feature`` needs failed with ``exc``."""
    package = (exc.name or "").split(".")[0] or "a package"
    return SandboxExtraMissing(f"{feature} needs {package}, which is not installed: {INSTALL}", name=exc.name)
