"""Operator that validates, normalizes, splits, compresses and uploads iSpot TV-conversion files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_adtech.utils.lineage import LineageMixin

if TYPE_CHECKING:
    from airflow_provider_adtech.hooks.ispot import IspotHook
    from airflow.providers.common.compat.sdk import Context

#: defaults, kept equal to the document (formats.ispot.schema holds the reasoning)
DEFAULT_MAX_FILE_SIZE = 200_000_000
DEFAULT_MIN_FILE_SIZE = 8 * 1024 * 1024
#: iSpot's public rate limit on /v4/metrics is 10 requests per 10 s: more parallel uploads than
#: that would only collect 429 answers
MAX_PARALLEL_UPLOADS = 10


class IspotConversionUploadOperator(LineageMixin, BaseOperator):
    """Validate, normalize, split (and optionally zip) TV-conversion data and upload it to iSpot.

    Specification: iSpot "TV Conversions - Upload Data via API". Input, in one of two ways:

    * ``source``: CSV file(s): local paths, globs or ``s3://`` URIs (streamed through the
      AWS connection, never downloaded whole).
    * ``rows``: records as mappings (column -> value), e.g. an upstream task's XCom
      (``rows=task.output``) or a SQL hook's result turned into dicts.

    Every row is checked against the document before anything is sent ("The file(s) must
    strictly adhere to the specifications"): the column table (``ip`` a valid IPv4,
    ``datetime`` ``YYYY-MM-DD hh:mm:ss`` UTC, ``siteid`` like ``TC-####-#``, ``app`` ``app``
    or ``web``, required values present, ``passthru`` = 1 while testing), case-sensitive
    headers, UTF-8. All problems are reported at once (file, line, column, rule); nothing is
    uploaded when any is found. Accepted input is rewritten into the exact format (header
    row, every value in double quotes, UTF-8 without BOM, ``\\n`` line ends, ``passthru``
    added for test uploads or dropped after approval); every rewrite is logged and listed
    in the summary.

    Rows go into parts named ``<file_prefix>_<data day>_<NNN>.csv`` (``.zip`` with
    ``compress``) of at most ``max_file_size`` bytes (compressed size when zipping), each
    with the header row, never cutting a row. iSpot keeps only the first file of a name per
    day, so a repeated run is answered ``409`` and reported ``already_uploaded``; this is
    also what makes retrying an upload after ``429``/``5xx`` safe. Change ``file_prefix`` to
    send corrected data for a day again.

    Date rules (document, "Upload Requirements"): every row must fall on the data day(s):
    by default the days of the run's data interval (UTC). Data older than 12 days is refused
    unless ``allow_reprocessing`` (iSpot charges for each day reprocessed). Posting after
    07:00 PDT / 06:00 PST of the following day is logged as a warning and flagged as
    ``delayed_processing`` (iSpot then processes the data in its batch 12 days later).

    Size rules: parts above ``max_file_size`` are split; a part below ``min_file_size``
    (iSpot: "The minimum file size allowed is 8 MB") fails the task before uploading. When the
    last part would end below the minimum, the fewest trailing parts needed are re-cut into
    parts of about equal size.

    :param source: CSV path(s), glob(s) or URI(s) (``s3://``, ``gs://``...). (templated)
    :param rows: records (mappings). (templated)
    :param data_date: the data day (``YYYY-MM-DD``); default: the start of the run's data
        interval (UTC). Part of every file name. (templated)
    :param date_range: days rows may fall on, ``"YYYY-MM-DD..YYYY-MM-DD"`` (inclusive) or a list
        of days; default: ``data_date`` if given, else the days of the data interval. (templated)
    :param file_prefix: file name prefix. (templated)
    :param column_mapping: your column name -> iSpot column, e.g. ``{"LATEST_IPADDRESS": "ip",
        "SITE_ID": "siteid", "TIME_STAMP": "datetime"}``. (templated)
    :param ignore_columns: source columns to leave out of the upload. (templated)
    :param site_id: ``siteid`` for sources without that column. (templated)
    :param passthru: test phase (document steps 5-7: upload with ``passthru`` = 1); set False
        once iSpot approved the schema (step 8: "dropping the passthru column"). (templated)
    :param normalize: rewrite accepted input into the exact format; False: files must already
        be compliant byte for byte (they are still split). (templated)
    :param allow_ipv6: accept IPv6 addresses (with a warning: households are matched by IPv4).
    :param allow_reprocessing: accept data older than 12 days (iSpot charges for it).
    :param compress: upload ``.zip`` parts ("Compressed files must be under 200MB each").
    :param max_file_size: largest part in bytes. (templated)
    :param min_file_size: smallest part in bytes (0 disables the check). (templated)
    :param dry_run: validate and size the parts; upload nothing. (templated)
    :param max_parallel_uploads: parts sent at the same time (1-10; default 1: the document says
        nothing of concurrency). Each part keeps its own retries; when one fails for good, no new
        part is started, those under way finish, and the error lists every part's status.
        (templated)
    :param fail_on_duplicate: fail when iSpot already has a file of the same name (409)
        instead of reporting ``already_uploaded``.
    :param siteid_pattern: regular expression a ``siteid`` must match.
    :param max_problems: problems listed in the error (the rest are counted).
    :param work_dir: folder for the parts while they are uploaded (default: the system's
        temporary folder); they are deleted afterwards.
    :param ispot_conn_id: iSpot connection.
    :param aws_conn_id: connection of the object store a file URI names: an AWS
        connection for ``s3://``, else that of the scheme's provider (``gs://``, ``abfs://``...).
    :return: a summary: data day, per source and per part the rows and bytes, each part's
        status (``uploaded``/``already_uploaded``/``dry_run``), rewrites and warnings.
    """

    template_fields: Sequence[str] = (
        "source",
        "rows",
        "data_date",
        "date_range",
        "file_prefix",
        "column_mapping",
        "ignore_columns",
        "site_id",
        "passthru",
        "normalize",
        "max_file_size",
        "min_file_size",
        "dry_run",
        "max_parallel_uploads",
        "work_dir",
    )
    template_fields_renderers = {"rows": "py", "column_mapping": "json"}
    ui_color = "#ffe9d6"

    def __init__(
        self,
        *,
        source: str | list[str] | None = None,
        rows: Any = None,
        data_date: str | dt.date | None = None,
        date_range: str | list[str] | None = None,
        file_prefix: str = "conversions",
        column_mapping: dict[str, str] | None = None,
        ignore_columns: list[str] | None = None,
        site_id: str | None = None,
        passthru: bool | str = True,
        normalize: bool | str = True,
        allow_ipv6: bool = False,
        allow_reprocessing: bool = False,
        compress: bool = False,
        max_file_size: int | str = DEFAULT_MAX_FILE_SIZE,
        min_file_size: int | str = DEFAULT_MIN_FILE_SIZE,
        dry_run: bool | str = False,
        max_parallel_uploads: int | str = 1,
        fail_on_duplicate: bool = False,
        siteid_pattern: str | None = None,
        max_problems: int = 50,
        work_dir: str | None = None,
        ispot_conn_id: str = "ispot_default",
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.rows = rows
        self.data_date = data_date
        self.date_range = date_range
        self.file_prefix = file_prefix
        self.column_mapping = column_mapping
        self.ignore_columns = ignore_columns
        self.site_id = site_id
        self.passthru = passthru
        self.normalize = normalize
        self.allow_ipv6 = allow_ipv6
        self.allow_reprocessing = allow_reprocessing
        self.compress = compress
        self.max_file_size = max_file_size
        self.min_file_size = min_file_size
        self.dry_run = dry_run
        self.max_parallel_uploads = max_parallel_uploads
        self.fail_on_duplicate = fail_on_duplicate
        self.siteid_pattern = siteid_pattern
        self.max_problems = max_problems
        self.work_dir = work_dir
        self.ispot_conn_id = ispot_conn_id
        self.aws_conn_id = aws_conn_id

    @cached_property
    def hook(self) -> IspotHook:
        from airflow_provider_adtech.hooks.ispot import IspotHook

        return IspotHook(ispot_conn_id=self.ispot_conn_id)

    @staticmethod
    def _monotonic() -> float:
        """The clock of the progress lines in the task log."""
        import time

        return time.monotonic()

    @staticmethod
    def _now() -> dt.datetime:
        """The current time (UTC); the date rules are relative to it."""
        return dt.datetime.now(dt.timezone.utc)

    # ------------------------------------------------------------------ execute
    def execute(self, context: Context) -> dict[str, Any]:
        import shutil
        import tempfile

        from airflow_provider_adtech.exceptions import AdtechValidationError
        from airflow_provider_adtech.formats.errors import Problem, ValidationFailed
        from airflow_provider_adtech.formats.ispot import check_part_sizes, prepare_conversions
        from airflow_provider_adtech.operators._ispot_upload import upload_parts

        now = self._now()
        try:
            plan = self._plan(context, now)
        except (ValueError, FileNotFoundError) as exc:
            problem = Problem("ispot.argument", str(exc), f"task {self.task_id}")
            raise AdtechValidationError(f"iSpot upload of task {self.task_id!r}: {exc}; nothing was sent",
                                        [problem]) from None
        for msg in plan["warnings"]:
            self.log.warning("iSpot: %s", msg)

        work = tempfile.mkdtemp(prefix="ispot-parts-", dir=self.work_dir or None)
        try:
            try:
                prepared = prepare_conversions(plan["sources"], plan["rules"], plan["split"], work,
                                               log=lambda m: self.log.info("iSpot input: %s", m),
                                               progress=self._progress("iSpot input", plan["sources"]))
            except ValidationFailed as exc:
                raise AdtechValidationError(str(exc), exc.problems) from None
            size_problems = check_part_sizes(prepared.parts, plan["min_bytes"], plan["max_bytes"])
            if size_problems:
                exc = ValidationFailed(size_problems, what="iSpot upload parts")
                raise AdtechValidationError(str(exc), size_problems) from None
            warnings = plan["warnings"] + prepared.warnings
            summary: dict[str, Any] = {
                "data_date": plan["day"].isoformat(),
                "dates": [d.isoformat() for d in plan["rules"].dates],
                "dry_run": plan["dry_run"],
                "passthru": plan["rules"].passthru,
                "columns": prepared.columns,
                "rows": prepared.rows,
                "bytes": sum(p.bytes for p in prepared.parts),
                "sources": [s.as_dict() for s in prepared.sources],
                "parts": [p.as_dict() for p in prepared.parts],
                "uploaded": 0,
                "already_uploaded": 0,
                "delayed_processing": plan["delayed"],
                "posting_deadline": plan["deadline"],
                "rewrites": list(prepared.notes),
                "warnings": warnings,
            }
            for p in prepared.parts:
                self.log.info("iSpot part %s: %d row(s), %d bytes", p.name, p.rows, p.bytes)
            if plan["dry_run"]:
                for part in summary["parts"]:
                    part["status"] = "dry_run"
                self.log.info("dry_run: %d row(s) valid in %d part(s); nothing sent to iSpot", prepared.rows,
                              len(prepared.parts))
                return summary
            self._lineage_outputs = [self.hook.url(self.hook.extra_str("upload_path") or "")]
            upload_parts(self.hook, prepared.parts, summary, parallel=plan["parallel"],
                         fail_on_duplicate=self.fail_on_duplicate, log=self.log, clock=self._monotonic)
            if summary["already_uploaded"]:
                self.log.warning("iSpot already had %d of %d part(s) (409 \"The file already exists.\"): "
                                 "this data day was uploaded before under the same names; they were not sent "
                                 "again. Use another file_prefix to deliver changed data.",
                                 summary["already_uploaded"], len(prepared.parts))
            return summary
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _progress(self, what: str, sources: list[Any]) -> Any:
        """Progress lines in the task log for long input (sizes known: bytes of the total)."""
        from airflow_provider_adtech.formats.progress import Progress

        sizes = [getattr(src, "size", None) for src in sources]
        total = sum(sizes) if sizes and all(isinstance(n, int) for n in sizes) else None
        return Progress(what, total=total, log=self.log.info, clock=self._monotonic)

    # ------------------------------------------------------------------ arguments
    def _plan(self, context: Context, now: dt.datetime) -> dict[str, Any]:
        from airflow_provider_adtech.formats.ispot import ConversionRules, SplitOptions
        from airflow_provider_adtech.formats.ispot.schema import DEFAULT_SITEID_PATTERN
        from airflow_provider_adtech.formats.ispot.window import posting_window
        from airflow_provider_adtech.utils.args import (
            as_bool, as_day, as_days, as_int, as_list, as_mapping, data_day, interval_days)

        given = [n for n, v in (("source", self.source), ("rows", self.rows)) if v is not None and v != ""]
        if len(given) != 1:
            got = f" (got {', '.join(given)})" if given else ""
            raise ValueError(f"give exactly one of source or rows{got}")
        explicit_day = self.data_date not in (None, "")
        day = as_day(self.data_date, "data_date") if explicit_day else data_day(context)
        dates = as_days(self.date_range, "date_range")
        if dates is None:
            dates = [day] if explicit_day else sorted({day, *interval_days(context)})
        window = posting_window(dates, now, as_bool(self.allow_reprocessing, "allow_reprocessing", strict=False))
        rules = ConversionRules(
            dates=tuple(dates),
            refused_dates=window.refused,
            passthru=as_bool(self.passthru, "passthru"),
            column_mapping=as_mapping(self.column_mapping, "column_mapping"),
            ignore_columns=tuple(as_list(self.ignore_columns, "ignore_columns")),
            site_id=self.site_id or None,
            allow_ipv6=as_bool(self.allow_ipv6, "allow_ipv6", strict=False),
            siteid_pattern=self.siteid_pattern or DEFAULT_SITEID_PATTERN,
            normalize=as_bool(self.normalize, "normalize"),
            max_problems=as_int(self.max_problems, "max_problems"),
        )
        max_bytes = as_int(self.max_file_size, "max_file_size", unit="bytes", minimum=0)
        min_bytes = as_int(self.min_file_size, "min_file_size", unit="bytes", minimum=0)
        if min_bytes and max_bytes and min_bytes > max_bytes:
            raise ValueError(f"min_file_size {min_bytes} is above max_file_size {max_bytes}")
        parallel = as_int(self.max_parallel_uploads, "max_parallel_uploads")
        if not 1 <= parallel <= MAX_PARALLEL_UPLOADS:
            raise ValueError(f"max_parallel_uploads must be 1 to {MAX_PARALLEL_UPLOADS} (iSpot allows 10 "
                             f"requests per 10 s on /v4/metrics), got {self.max_parallel_uploads!r}")
        split = SplitOptions(day=day, prefix=str(self.file_prefix), max_bytes=max_bytes,
                             compress=as_bool(self.compress, "compress", strict=False), rebalance_below=min_bytes)
        return {
            "day": day,
            "rules": rules,
            "split": split,
            "sources": self._sources(),
            "warnings": window.warnings,
            "delayed": window.delayed,
            "deadline": window.deadline.isoformat(),
            "dry_run": as_bool(self.dry_run, "dry_run"),
            "min_bytes": min_bytes,
            "max_bytes": max_bytes,
            "parallel": parallel,
        }

    def _sources(self) -> list[Any]:
        from airflow_provider_adtech.formats.ispot import FileSource, RowsSource
        from airflow_provider_adtech.utils.storage import expand_sources, open_binary, size

        if self.rows is not None and self.rows != "":
            from airflow_provider_adtech.utils.args import as_records

            return [RowsSource("rows", as_records(self.rows, "rows"))]
        uris = expand_sources(self.source, self.aws_conn_id)
        if not uris:
            raise ValueError("source names no file")
        self._lineage_inputs = list(uris)
        return [FileSource(uri, lambda uri=uri: open_binary(uri, self.aws_conn_id), size(uri, self.aws_conn_id))
                for uri in uris]

