"""Helpers shared by the operators: the run's data day, templated records, and OpenLineage datasets.

Everything heavy is imported inside the functions, so importing an operator module stays
cheap at DAG-parse time. Files in and out: :mod:`airflow_provider_adtech.utils.storage`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit


def data_day(context: Any) -> dt.date:
    """The day a run is about: the start of its data interval (UTC), else its logical date.

    For a daily DAG this is "yesterday" when the run happens, the day the vendors
    expect to be reported.
    """
    for key in ("data_interval_start", "logical_date"):
        val = context.get(key) if context else None
        if val is not None:
            if isinstance(val, dt.datetime):
                if val.tzinfo is not None:
                    val = val.astimezone(dt.timezone.utc)
                return val.date()
            if isinstance(val, dt.date):
                return val
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).date()


def parse_day(value: Any) -> dt.date:
    """A date from a ``date``, a ``datetime`` or an ISO string (as templates render them)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"not a date (expected YYYY-MM-DD): {value!r}") from None


def coerce_records(rows: Any, *, what: str = "rows") -> list[Any]:
    """Records handed to an operator: a list (e.g. ``task.output``), or a rendered string of one.

    Without ``render_template_as_native_obj`` Airflow renders an XCom list into its text;
    that text is read back as JSON or as a Python literal. A single mapping is refused:
    a list of records is expected.
    """
    if isinstance(rows, str):
        text = rows.strip()
        try:
            rows = json.loads(text)
        except ValueError:
            import ast

            try:
                rows = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise ValueError(f"{what} is a string that is neither JSON nor a Python literal; pass the "
                                 f"upstream task's output ({what}=task.output) or set "
                                 "render_template_as_native_obj=True on the DAG") from None
    if isinstance(rows, Mapping):
        raise ValueError(f"{what} must be a list of records (mappings), got a single mapping")
    return list(rows)


def dataset_for(uri: str) -> Any:
    """An OpenLineage dataset for a local path, an ``s3://`` URI or an ``https://`` endpoint."""
    from airflow.providers.common.compat.openlineage.facet import Dataset

    if uri.startswith("s3://"):
        parts = urlsplit(uri)
        return Dataset(namespace=f"s3://{parts.netloc}", name=parts.path.lstrip("/") or "/")
    if "://" in uri:
        parts = urlsplit(uri)
        return Dataset(namespace=f"{parts.scheme}://{parts.netloc}", name=parts.path or "/")
    return Dataset(namespace="file", name=os.path.abspath(uri))


def operator_lineage(inputs: Iterable[str], outputs: Iterable[str]) -> Any:
    """``OperatorLineage`` for ``get_openlineage_facets_on_*`` (needs the OpenLineage provider)."""
    from airflow.providers.openlineage.extractors import OperatorLineage

    return OperatorLineage(inputs=[dataset_for(u) for u in inputs], outputs=[dataset_for(u) for u in outputs])
