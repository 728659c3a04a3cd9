"""Operator that builds, validates and uploads BidSwitch's daily discrepancy report."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_adtech.utils.lineage import LineageMixin

if TYPE_CHECKING:
    from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook
    from airflow.providers.common.compat.sdk import Context


class BidSwitchDiscrepancyOperator(LineageMixin, BaseOperator):
    """Build, validate and upload the daily discrepancy report to BidSwitch.

    Document ("Supplier Discrepancy API"): "The Discrepancy Reporting API is used to
    upload a daily report about the previous day's activity". Give the figures in
    exactly one of three ways:

    * ``rows``: records with ``date, hour, seat, imps, cost, bids, timeouts`` (and
      optionally ``timezone, currency``), e.g. a SQL hook's ``get_records`` result or
      an upstream task's XCom (``rows=my_task.output``). Dicts, or sequences in the
      order of ``columns``. ``hour`` may be a two-digit string or a whole number 0-23.
    * ``source``: a CSV file (local path, glob, or ``s3://`` URI, read as a stream
      through the AWS connection) whose header names those columns.
    * ``report``: a ready report ``{"reports": [...]}`` as a dict, JSON text, or the
      path of a ``.json`` file (local, relative to the DAG folder, or ``s3://``) that is
      read and rendered with Jinja at run time.

    Rows are grouped into one report per seat/timezone/currency with one data array
    per day (the document's "Multi-Day Report" when there are several days), hourly
    as given (the document's best practice) or summed per day. Everything is checked
    against the document's rules before any request; all problems are reported at
    once with file/record, line, column or JSON path, and rule.

    BidSwitch processes only the last report uploaded on a calendar day ("If you upload
    several reports during one day, only the last one uploaded is going to be
    processed. So if you need to do this, use the Several Days report format"): to
    back-fill, upload all missing days in one run (``report_dates="2026-11-01..2026-11-07"``)
    instead of several runs on the same day. Repeating an upload is harmless, so it is
    retried on ``429``/``5xx``.

    :param platform_name: your platform name at BidSwitch (the ``<ssp-name>`` of the
        endpoint); lower-cased as the document requires. (templated)
    :param platform_type: ``ssp`` (suppliers, default) or ``dsp`` (buyers). (templated)
    :param rows: records to build the report from. (templated)
    :param source: CSV path(s), glob(s) or URI(s) (``s3://``, ``gs://``...). (templated)
    :param report: a ready report: dict, JSON text or ``.json`` path. (templated)
    :param report_dates: the report day(s): a date, a list, ``"d1,d2"`` or an inclusive
        range ``"start..end"``. Default for ``rows``/``source``: the run's data-interval
        day (UTC). With a ready report, given dates are checked against its days
        (and missing days zero-filled with ``zero_fill``). (templated)
    :param timezone: report timezone for rows without one (``pytz.all_timezones``). (templated)
    :param currency: report currency for rows without one: USD, EUR or JPY. (templated)
    :param seat: seat (buyer) for rows without one; None: reports without seat. (templated)
    :param granularity: ``auto`` (rows as given), ``hourly`` (every row needs an hour)
        or ``daily`` (hourly rows are summed into one full-day row). (templated)
    :param zero_fill: send ``{"imps": 0, "cost": 0}`` for report days without rows (the
        document's zero report: "no trading occurred"). Off by default: a day without
        any row is then an error, because an empty query result is more often a broken
        pipeline than a day without trading. (templated)
    :param columns: ``{field: input column}`` for differently named columns/keys, or a
        list of field names for sequences and headerless CSV files.
    :param dry_run: build and validate only; nothing is sent. (templated)
    :param bidswitch_conn_id: BidSwitch connection.
    :param aws_conn_id: connection of the object store a file URI names: an AWS
        connection for ``s3://``, else that of the scheme's provider (``gs://``, ``abfs://``...).
    :return: a summary: per report and day the rows and the totals of imps, cost,
        bids and timeouts; what BidSwitch handled; notes on anything added or summed.
    """

    template_fields: Sequence[str] = (
        "platform_name",
        "platform_type",
        "rows",
        "source",
        "report",
        "report_dates",
        "timezone",
        "currency",
        "seat",
        "granularity",
        "zero_fill",
        "dry_run",
    )
    template_fields_renderers = {"rows": "py", "report": "json"}
    ui_color = "#f0e4ff"

    def __init__(
        self,
        *,
        platform_name: str,
        platform_type: str = "ssp",
        rows: Any = None,
        source: str | list[str] | None = None,
        report: dict[str, Any] | str | None = None,
        report_dates: Any = None,
        timezone: str = "UTC",
        currency: str = "USD",
        seat: str | None = None,
        granularity: str = "auto",
        zero_fill: bool | str = False,
        columns: dict[str, str] | list[str] | None = None,
        dry_run: bool | str = False,
        bidswitch_conn_id: str = "bidswitch_default",
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.platform_name = platform_name
        self.platform_type = platform_type
        self.rows = rows
        self.source = source
        self.report = report
        self.report_dates = report_dates
        self.timezone = timezone
        self.currency = currency
        self.seat = seat
        self.granularity = granularity
        self.zero_fill = zero_fill
        self.columns = columns
        self.dry_run = dry_run
        self.bidswitch_conn_id = bidswitch_conn_id
        self.aws_conn_id = aws_conn_id

    @cached_property
    def hook(self) -> BidSwitchHook:
        from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook

        return BidSwitchHook(bidswitch_conn_id=self.bidswitch_conn_id)

    # ------------------------------------------------------------------ execute
    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_adtech.exceptions import AdtechValidationError
        from airflow_provider_adtech.formats.errors import Problem, ValidationFailed
        from airflow_provider_adtech.utils.args import as_bool

        try:
            from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook

            path = BidSwitchHook.upload_path(self.platform_name, self.platform_type)
            zero_fill = as_bool(self.zero_fill, "zero_fill")
            dry_run = as_bool(self.dry_run, "dry_run")
            payload, info = self._build(context, zero_fill)
        except ValidationFailed as exc:
            raise AdtechValidationError(str(exc), exc.problems) from None
        except (ValueError, FileNotFoundError) as exc:
            problem = Problem("bidswitch.argument", str(exc), f"task {self.task_id}")
            raise AdtechValidationError(f"BidSwitch report of task {self.task_id!r}: {exc}; nothing was sent",
                                        [problem]) from None

        from airflow_provider_adtech.formats.bidswitch import relation_notes, summarize, totals

        info["notes"].extend(relation_notes(payload))
        for note in info["notes"]:
            self.log.warning("BidSwitch report: %s", note)
        reports = summarize(payload)
        summary: dict[str, Any] = {
            "platform_type": str(self.platform_type).strip().lower(),
            "platform_name": str(self.platform_name).strip().lower(),
            "path": path,
            "input": info["input"],
            "report_dates": info["dates"],
            "reports": reports,
            "totals": totals(reports),
            "notes": info["notes"],
            "dry_run": dry_run,
            "uploaded": False,
            "handled": None,
        }
        for rep in reports:
            for day, tot in rep["days"].items():
                self.log.info("report %d seat=%s %s %s/%s: %d row(s) (%s), imps=%d cost=%s bids=%s timeouts=%s",
                              rep["index"], rep["seat"], day, rep["timezone"], rep["currency"], tot["rows"],
                              tot["granularity"], tot["imps"], tot["cost"], tot["bids"], tot["timeouts"])
        if dry_run:
            self.log.info("dry_run: report valid, %d report(s); nothing sent to BidSwitch", len(reports))
            return summary

        result = self.hook.upload_report(payload, self.platform_name, self.platform_type, validate=False)
        self._lineage_outputs = [self.hook.url(path)]
        handled = result.get("handled") or []
        summary["uploaded"] = True
        summary["handled"] = handled
        for i, rep in enumerate(reports):
            rep["handled"] = handled[i] if i < len(handled) else None
        self.log.info("BidSwitch accepted the report; handled: %s", handled)
        return summary

    # ------------------------------------------------------------------ inputs
    def _build(self, context: Context, zero_fill: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        from airflow_provider_adtech.formats import bidswitch as fmt
        from airflow_provider_adtech.formats.errors import ProblemCollector
        from airflow_provider_adtech.utils.args import data_day

        given = [name for name, val in (("rows", self.rows), ("source", self.source), ("report", self.report))
                 if val is not None and val != ""]
        if len(given) != 1:
            raise ValueError("give exactly one of rows, source or report"
                             + (f" (got {', '.join(given)})" if given else ""))
        explicit_dates = fmt.parse_report_dates(self.report_dates)

        if self.report is not None and self.report != "":
            payload, where = self._load_report(context)
            fmt.validate_upload(payload, where)
            notes: list[str] = []
            if explicit_dates is not None:
                notes += fmt.apply_report_dates(payload, explicit_dates, zero_fill, where)
            dates = sorted({d for rep in payload["reports"] for d in rep["data"]})
            self._lineage_inputs = [where] if where and not where.startswith("report") else []
            return payload, {"notes": notes, "dates": dates, "input": {"kind": "report", "source": where}}

        dates = explicit_dates or [data_day(context).isoformat()]
        col = ProblemCollector()
        notes = []
        conv = fmt.Conversions()
        if self.rows is not None and self.rows != "":
            records = self._records()
            rows = fmt.rows_from_records(records, columns=self.columns, source="rows", collector=col, notes=notes,
                                         conversions=conv)
            inp: dict[str, Any] = {"kind": "rows", "records": len(records)}
            where = "rows"
        else:
            from airflow_provider_adtech.utils.storage import display_name, expand_sources, open_text

            sources = expand_sources(self.source, self.aws_conn_id)
            rows = []
            for uri in sources:
                with open_text(uri, self.aws_conn_id) as stream:
                    rows += fmt.rows_from_csv(stream, source=uri, columns=self.columns, collector=col, notes=notes,
                                              conversions=conv)
            self._lineage_inputs = list(sources)
            inp = {"kind": "csv", "sources": sources}
            where = ", ".join(display_name(s) for s in sources)
        notes.extend(conv.notes())
        built = fmt.build_upload(rows, report_dates=dates, timezone=self.timezone, currency=self.currency,
                                 seat=self.seat or None, granularity=self.granularity, zero_fill=zero_fill,
                                 source=where, collector=col, notes=notes, input_days=conv.days)
        col.raise_if_any(f"BidSwitch report from {where}")
        inp["rows"] = built.rows
        return built.payload, {"notes": notes, "dates": dates, "input": inp}

    def _records(self) -> list[Any]:
        from airflow_provider_adtech.utils.args import as_records

        if isinstance(self.rows, Mapping) and "reports" in self.rows:
            raise ValueError("rows looks like a ready report ({'reports': ...}); pass it as report=")
        return as_records(self.rows, "rows")

    def _load_report(self, context: Context) -> tuple[dict[str, Any], str]:
        from airflow_provider_adtech.formats.errors import Problem, ValidationFailed

        report = self.report
        if isinstance(report, Mapping):
            try:
                return json.loads(json.dumps(report, allow_nan=False)), "report"
            except (TypeError, ValueError) as exc:
                raise ValueError(f"report cannot be sent as JSON: {exc}") from None
        text = str(report).strip()
        where = "report"
        if not text.startswith("{"):
            from airflow_provider_adtech.utils.storage import is_local, open_text

            uri = text
            if is_local(uri) and not os.path.isabs(uri) and self.has_dag() and self.dag.folder:
                candidate = os.path.join(self.dag.folder, uri)
                uri = candidate if os.path.exists(candidate) else uri
            if is_local(uri) and not os.path.exists(uri):
                raise FileNotFoundError(f"report file not found: {text!r}")
            with open_text(uri, self.aws_conn_id) as stream:
                raw = stream.read()
            self.log.info("rendering report file %s as a template", uri)
            text = self.render_template(raw, context)
            where = uri
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed([Problem("bidswitch.json.syntax", f"not valid JSON: {exc.msg}", where,
                                            exc.lineno, str(exc.colno))],
                                   what=f"BidSwitch report {where}") from None
        return payload, where
