"""FreeWheel AutoScheduler linear orders: S3 delivery of the orders file, and the order API.

* :class:`FreeWheelS3OrderOperator` validates order lines, builds
  ``linear_orders_{date}_{timestamp}.csv`` zipped, and puts it in FreeWheel's S3 folder
  through the Amazon provider's ``S3Hook``.
* :class:`FreeWheelLinearOrderOperator` sends order lines to
  ``POST /services/v4/linear_orders`` in batches.

Both validate everything before any network call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowNotFoundException, BaseOperator

from airflow_provider_adtech.exceptions import AdtechValidationError
from airflow_provider_adtech.utils.args import as_bool, as_day, as_int, as_iterable, data_day
from airflow_provider_adtech.utils.lineage import operator_lineage
from airflow_provider_adtech.utils.storage import display_name, expand_sources, open_text

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

#: "a file size of no more than 500MB" (bytes; same value as ``formats.freewheel.MAX_ZIP_BYTES``)
MAX_ZIP_BYTES = 500 * 1000 * 1000
ORDER_LINES = "dicts (one per order line)"


def run_timestamp(context: Any) -> dt.datetime:
    """The time that names a run's delivery file, the same on every attempt of the run.

    The run's logical date; for runs without one (manual runs on Airflow 3), its
    ``run_after``; else the end of its data interval. Being stable per run, it lets a
    re-run find the file it delivered before instead of delivering again.
    """
    candidates = [context.get("logical_date") if context else None]
    dag_run = context.get("dag_run") if context else None
    candidates += [getattr(dag_run, "logical_date", None), getattr(dag_run, "run_after", None),
                   context.get("data_interval_end") if context else None]
    for value in candidates:
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    raise AdtechValidationError("no logical date, run_after or data interval in the context; pass timestamp=")


@contextlib.contextmanager
def _arguments() -> Iterator[None]:
    """An argument that cannot be coerced fails the task without retry (AdtechValidationError)."""
    try:
        yield
    except ValueError as exc:
        raise AdtechValidationError(str(exc)) from None


class _InputMixin:
    """``rows`` (dicts, e.g. an XCom) or ``source`` (CSV paths, globs, ``s3://``) as records;
    ``_lineage`` (inputs, outputs) of the last run for OpenLineage."""

    rows: Any
    source: Any
    source_aws_conn_id: str | None
    _lineage: tuple[Sequence[str], Sequence[str]] = ((), ())

    def _check_one_input(self, *names: str) -> None:
        given = [n for n in names if getattr(self, n) is not None]
        if len(given) != 1:
            raise AdtechValidationError(f"{type(self).__name__}: give exactly one of {', '.join(names)} "
                                   f"(got {', '.join(given) or 'none'})")

    def _sources(self) -> list[str]:
        return expand_sources(self.source, self.source_aws_conn_id) if self.source is not None else []

    def _record_inputs(self, problems: Any, stats: dict[str, int], sources: Sequence[str]
                       ) -> Iterator[tuple[str, Iterable]]:
        """``(source name, records)`` of ``rows`` or of each expanded source file."""
        from airflow_provider_adtech.formats import freewheel as fwf

        if self.rows is not None:
            with _arguments():
                rows = as_iterable(self.rows, "rows", ORDER_LINES)
            yield "rows", fwf.iter_row_records(rows, "rows", problems)
            return
        for uri in sources:
            name = display_name(uri)
            with open_text(uri, self.source_aws_conn_id, encoding="utf-8-sig") as fh:
                yield name, fwf.iter_csv_records(fh, name, problems, stats)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Input files (or none for rows) -> the delivered ``s3://bucket/key`` or the API endpoint."""
        return operator_lineage(*self._lineage)


class FreeWheelS3OrderOperator(_InputMixin, BaseOperator):
    """Deliver linear orders to FreeWheel's S3 folder as ``linear_orders_{date}_{timestamp}.csv``, zipped.

    Follows FreeWheel's AutoScheduler document ("File Specifications", "CSV File Data
    Fields", "Amazon S3 Integration"): one order line a CSV line, string fields quoted,
    ``contractid+tb_system_id+order_line`` unique, zip no larger than 500 MB; see
    :mod:`airflow_provider_adtech.formats.freewheel` for the exact encoding. Every line is
    validated before anything is uploaded; all problems are reported at once with their
    line and field.

    S3 access is the AWS connection's business (``S3Hook(aws_conn_id=...)``), so both
    access models of the document work: an AWS connection whose extra has ``role_arn``
    (FreeWheel's role, assumed through STS: the recommended model) or one holding the
    access key FreeWheel issued. Only ``s3:ListBucket`` and ``s3:PutObject`` are needed
    ("upload and list files in your dedicated folder"). The operator never creates the
    bucket and never overwrites a key: the file name's timestamp is the run's (see
    :func:`run_timestamp`), so a re-run of a DAG run finds the file it delivered and
    reports it (``already_delivered``) instead of delivering twice; a different file under
    that name fails the task. The upload itself is conditional (``If-None-Match: *``).

    :param rows: order lines as dicts keyed by the CSV column names (``budget_units`` is
        accepted for ``buget_units``; arrays as lists or comma-separated text; dates as
        ``YYYYMMDD`` text or dates; ``orbits`` as ``Y``/``N`` or a boolean), e.g. an XCom.
    :param source: instead of ``rows``: CSV file(s) with a header row, local paths, globs or
        ``s3://`` URIs (read as streams through ``source_aws_conn_id``).
    :param orders_date: the ``{date of orders}`` of the file name; default: the run's data day.
    :param timestamp: the ``{timestamp}`` of the file name (datetime, ISO text or
        ``YYYYMMDDHHMMSS``, UTC); default: the run's logical date (stable across re-runs).
    :param s3_bucket: FreeWheel's bucket; default: the FreeWheel connection's ``s3_bucket`` extra.
    :param s3_prefix: your dedicated folder; default: the connection's ``s3_prefix`` extra.
    :param aws_conn_id: AWS connection for the upload; default: the FreeWheel connection's
        ``aws_conn_id`` extra, else ``aws_default``.
    :param freewheel_conn_id: FreeWheel connection whose extras give bucket, prefix and AWS connection.
    :param source_aws_conn_id: connection of the object store a file URI names (your own account): an AWS
        connection for ``s3://``, else that of the scheme's provider (``gs://``, ``abfs://``...).
    :param regional_syscodes: regional syscode -> its local syscodes; lines on a regional
        syscode without ``syscode_inclusions`` get them from here (counted in the result).
    :param allowed_durations: permitted spot lengths/durations in seconds (default 15, 30, 60).
    :param max_zip_bytes: size limit of the zip, checked before upload (default 500 MB).
    :param max_problems: validation problems listed in the error (all are counted).
    :param allow_empty: with no order lines, succeed without delivering instead of failing.
    :param conditional_put: send ``If-None-Match: *`` with the upload (S3 refuses to replace
        an existing key); turn off only for S3-compatible stores that do not support it.
    :return: ``{bucket, key, uri, lines, bytes, csv_bytes, file, orders_date, already_delivered, ...}``.
    """

    template_fields: Sequence[str] = (
        "rows", "source", "orders_date", "timestamp", "s3_bucket", "s3_prefix", "aws_conn_id",
        "freewheel_conn_id", "source_aws_conn_id", "regional_syscodes", "allowed_durations", "max_zip_bytes",
    )
    ui_color = "#e3f1d4"

    def __init__(
        self,
        *,
        rows: Iterable[Mapping[str, Any]] | str | None = None,
        source: str | list[str] | None = None,
        orders_date: str | dt.date | None = None,
        timestamp: str | dt.datetime | None = None,
        s3_bucket: str | None = None,
        s3_prefix: str | None = None,
        aws_conn_id: str | None = None,
        freewheel_conn_id: str = "freewheel_default",
        source_aws_conn_id: str | None = "aws_default",
        regional_syscodes: Mapping[Any, Any] | None = None,
        allowed_durations: Sequence[int] | None = None,
        max_zip_bytes: int = MAX_ZIP_BYTES,
        max_problems: int = 50,
        allow_empty: bool = False,
        conditional_put: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rows = rows
        self.source = source
        self.orders_date = orders_date
        self.timestamp = timestamp
        self.s3_bucket = s3_bucket
        self.s3_prefix = s3_prefix
        self.aws_conn_id = aws_conn_id
        self.freewheel_conn_id = freewheel_conn_id
        self.source_aws_conn_id = source_aws_conn_id
        self.regional_syscodes = regional_syscodes
        self.allowed_durations = allowed_durations
        self.max_zip_bytes = max_zip_bytes
        self.max_problems = max_problems
        self.allow_empty = allow_empty
        self.conditional_put = conditional_put

    # ------------------------------------------------------------------ settings
    def _target(self) -> tuple[str, str, str]:
        """Bucket, prefix and AWS connection: arguments first, then the FreeWheel connection's extras."""
        extras: dict[str, Any] = {}
        if not (self.s3_bucket and self.s3_prefix is not None and self.aws_conn_id):
            from airflow_provider_adtech.hooks.freewheel import FreeWheelHook

            try:
                extras = FreeWheelHook(self.freewheel_conn_id).extras
            except AirflowNotFoundException:
                extras = {}
        bucket = self.s3_bucket or extras.get("s3_bucket")
        prefix = self.s3_prefix if self.s3_prefix is not None else extras.get("s3_prefix", "")
        aws_conn_id = self.aws_conn_id or extras.get("aws_conn_id") or "aws_default"
        if not bucket:
            raise AdtechValidationError(
                "no S3 bucket: pass s3_bucket= or set the s3_bucket extra of connection "
                f"{self.freewheel_conn_id!r} (FreeWheel gives you the bucket and your dedicated folder)")
        return str(bucket), str(prefix or "").strip("/"), str(aws_conn_id)

    # ------------------------------------------------------------------ run
    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_adtech.formats import freewheel as fwf
        from airflow_provider_adtech.formats.errors import ProblemCollector, ValidationFailed
        from airflow_provider_adtech.operators._freewheel_s3 import put_once

        self._check_one_input("rows", "source")
        bucket, prefix, aws_conn_id = self._target()
        orders_date = as_day(self.orders_date, "orders_date") if self.orders_date else data_day(context)
        timestamp = fwf.format_timestamp(self.timestamp or run_timestamp(context))
        rules = fwf.LineRules.make(self.allowed_durations, self.regional_syscodes)
        problems = ProblemCollector(self.max_problems)
        stats: dict[str, int] = {}
        sources = self._sources()
        with tempfile.TemporaryDirectory(prefix="freewheel-orders-") as tmp:
            try:
                delivery = fwf.build_delivery(
                    self._record_inputs(problems, stats, sources), tmp, orders_date=orders_date, timestamp=timestamp,
                    rules=rules, max_zip_bytes=as_int(self.max_zip_bytes, "max_zip_bytes", unit="bytes"),
                    allow_empty=as_bool(self.allow_empty, "allow_empty", strict=False), stats=stats,
                    problems=problems)
            except ValidationFailed as exc:
                raise AdtechValidationError(str(exc), exc.problems) from None
            summary = delivery.summary()
            if delivery.inclusions_filled:
                self.log.info("%d regional line(s) got their syscode_inclusions from regional_syscodes",
                              delivery.inclusions_filled)
            if delivery.blank_lines:
                self.log.info("%d blank line(s) in the input were skipped", delivery.blank_lines)
            if delivery.values_trimmed:
                self.log.warning("%d value(s) had spaces around them, removed in the delivered file (e.g. "
                                 "\" 16:00-20:00\" -> \"16:00-20:00\"); see values_trimmed in the summary",
                                 delivery.values_trimmed)
            if delivery.lines == 0:
                self.log.info("no order lines for %s: nothing delivered (allow_empty=True)", orders_date)
                return {**summary, "bucket": bucket, "key": None, "uri": None, "delivered": False,
                        "already_delivered": False}
            key = f"{prefix}/{delivery.zip_name}" if prefix else delivery.zip_name
            delivered_before = put_once(delivery, bucket, key, aws_conn_id, context, self.conditional_put)
        uri = f"s3://{bucket}/{key}"
        self._lineage = (sources, [uri])
        if delivered_before:
            self.log.info("%s was already delivered by an earlier attempt of this run (same content); "
                          "not delivered again", uri)
        else:
            self.log.info("delivered %d order line(s) to %s (%d bytes)", delivery.lines, uri,
                          delivery.zip_bytes)
        return {**summary, "bucket": bucket, "key": key, "uri": uri, "delivered": not delivered_before,
                "already_delivered": delivered_before}


class FreeWheelLinearOrderOperator(_InputMixin, BaseOperator):
    """Send linear order lines to FreeWheel's ``POST /services/v4/linear_orders`` (upsert on ``external_id``).

    Input is either JSON order lines (the document's "Basic Attributes" table) or
    delivery-schema rows/CSV files, mapped to order lines by
    :func:`airflow_provider_adtech.formats.freewheel.api_line_from_order`. All lines are
    validated first (nothing is sent when any is wrong), spooled to a temporary file and
    sent ``batch_size`` at a time. ``207`` answers list ``failed_records``: the task fails
    after sending every batch unless ``allow_partial``; the result names them either way.
    The path and the environment come from the FreeWheel connection (host: production
    ``https://api.freewheel.tv`` or staging ``https://api.stg.freewheel.tv``; extra
    ``linear_orders_path``).

    :param order_lines: JSON order lines (dicts), e.g. an XCom.
    :param rows: instead: delivery-schema rows (as for :class:`FreeWheelS3OrderOperator`).
    :param source: instead: delivery-schema CSV file(s), local, glob or ``s3://``.
    :param freewheel_conn_id: the FreeWheel connection.
    :param batch_size: order lines per request.
    :param allow_partial: succeed when FreeWheel refused some lines (``207``).
    :param allowed_durations: permitted durations in seconds (default 15, 30, 60).
    :param regional_syscodes: as for :class:`FreeWheelS3OrderOperator` (delivery rows only).
    :param source_aws_conn_id: connection of the object store a file URI names: an AWS
        connection for ``s3://``, else that of the scheme's provider (``gs://``, ``abfs://``...).
    :param max_problems: validation problems listed in the error.
    :return: ``{lines, ingested, failed, failed_records (first 100), requests, batches, partial_batches}``.
    """

    template_fields: Sequence[str] = (
        "order_lines", "rows", "source", "freewheel_conn_id", "batch_size", "allow_partial",
        "allowed_durations", "regional_syscodes", "source_aws_conn_id",
    )
    ui_color = "#e3f1d4"

    def __init__(
        self,
        *,
        order_lines: Iterable[Mapping[str, Any]] | str | None = None,
        rows: Iterable[Mapping[str, Any]] | str | None = None,
        source: str | list[str] | None = None,
        freewheel_conn_id: str = "freewheel_default",
        batch_size: int = 500,
        allow_partial: bool = False,
        allowed_durations: Sequence[int] | None = None,
        regional_syscodes: Mapping[Any, Any] | None = None,
        source_aws_conn_id: str | None = "aws_default",
        max_problems: int = 50,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.order_lines = order_lines
        self.rows = rows
        self.source = source
        self.freewheel_conn_id = freewheel_conn_id
        self.batch_size = batch_size
        self.allow_partial = allow_partial
        self.allowed_durations = allowed_durations
        self.regional_syscodes = regional_syscodes
        self.source_aws_conn_id = source_aws_conn_id
        self.max_problems = max_problems

    def _spool(self, out: Any, sources: Sequence[str]) -> int:
        """Validate every input line, write the API lines as JSON lines to ``out``; return the count."""
        from airflow_provider_adtech.formats import freewheel as fwf
        from airflow_provider_adtech.formats.errors import ProblemCollector

        durations = tuple(self.allowed_durations or fwf.DEFAULT_DURATIONS)
        problems = ProblemCollector(self.max_problems)
        if self.order_lines is not None:
            with _arguments():
                lines = as_iterable(self.order_lines, "order_lines", ORDER_LINES)
            return fwf.spool_api_lines(lines, out, problems=problems, allowed_durations=durations)
        return fwf.spool_orders_as_api_lines(
            self._record_inputs(problems, self._stats, sources), out, problems=problems, stats=self._stats,
            rules=fwf.LineRules.make(durations, self.regional_syscodes),
        )

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_adtech.formats.errors import ValidationFailed
        from airflow_provider_adtech.hooks.freewheel import FreeWheelHook, LinearOrdersPartialFailure

        self._check_one_input("order_lines", "rows", "source")
        with _arguments():
            batch_size = as_int(self.batch_size, "batch_size", minimum=1)
        self._stats: dict[str, int] = {}
        sources = self._sources()
        with tempfile.TemporaryDirectory(prefix="freewheel-api-") as tmp:
            path = os.path.join(tmp, "order_lines.jsonl")
            try:
                with open(path, "w", encoding="utf-8") as out:
                    count = self._spool(out, sources)
            except ValidationFailed as exc:
                raise AdtechValidationError(str(exc), exc.problems) from None
            if count == 0:
                self.log.info("no order lines: nothing sent")
                return {"lines": 0, "ingested": 0, "failed": 0, "failed_records": [], "requests": 0,
                        "batches": 0, "partial_batches": 0}
            hook = FreeWheelHook(self.freewheel_conn_id)
            with open(path, encoding="utf-8") as fh:
                result = hook.upsert_linear_orders((json.loads(line) for line in fh), batch_size)
        summary = result.summary()
        summary["batches"] = result.requests
        summary["values_trimmed"] = self._stats.get("values_trimmed", 0)
        if summary["values_trimmed"]:
            self.log.warning("%d value(s) had spaces around them, removed in the order lines sent",
                             summary["values_trimmed"])
        self._lineage = (sources, [hook.url(hook.linear_orders_path)])
        if result.failed_records and not as_bool(self.allow_partial, "allow_partial", strict=False):
            raise LinearOrdersPartialFailure(result)
        return summary

