"""OpenLineage datasets for the files and endpoints a task reads and writes.

The OpenLineage classes are imported inside the functions: importing this module stays
cheap at DAG-parse time, and it works without the OpenLineage provider until it is called.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit


def dataset_for(uri: str) -> Any:
    """An OpenLineage dataset for a local path, an ``s3://`` URI or an ``https://`` endpoint."""
    from airflow.providers.common.compat.openlineage.facet import Dataset

    if "://" not in uri:
        return Dataset(namespace="file", name=os.path.abspath(uri))
    parts = urlsplit(uri)
    if uri.startswith("s3://"):
        return Dataset(namespace=f"s3://{parts.netloc}", name=parts.path.lstrip("/") or "/")
    return Dataset(namespace=f"{parts.scheme}://{parts.netloc}", name=parts.path or "/")


def operator_lineage(inputs: Iterable[str], outputs: Iterable[str]) -> Any:
    """``OperatorLineage`` for ``get_openlineage_facets_on_*`` (needs the OpenLineage provider)."""
    from airflow.providers.openlineage.extractors import OperatorLineage

    return OperatorLineage(inputs=[dataset_for(u) for u in inputs], outputs=[dataset_for(u) for u in outputs])


class LineageMixin:
    """Reports ``_lineage_inputs`` -> ``_lineage_outputs`` (URIs or paths set by ``execute``)
    as the task's OpenLineage lineage; both are empty until the task sets them."""

    _lineage_inputs: list[str]
    _lineage_outputs: list[str]

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        return operator_lineage(getattr(self, "_lineage_inputs", []), getattr(self, "_lineage_outputs", []))
