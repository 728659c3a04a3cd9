"""Wait until an Opt-Intelligence report has data: :class:`OiReportSensor`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, BaseSensorOperator, conf

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class OiReportSensor(BaseSensorOperator):
    """Wait until the Opt-Intelligence publisher report for a date range has data.

    The report is read in custom mode ("Calling reports with an added parameter start
    will return stats in Custom mode", both dates inclusive), walking ``row_start``/
    ``row_limit`` pages of at most 2000 rows. What "has data" means is ``ready_when``:

    * ``rows``: at least ``min_rows`` rows;
    * ``impressions``: at least ``min_impressions`` impressions in total;
    * ``settled``: rows, and figures unchanged between two consecutive pokes (the day
      has stopped moving). In ``reschedule`` mode the previous poke's fingerprint is
      kept in an Airflow Variable (removed on success), as each poke is a new process.

    Modes: ``poke``, ``reschedule``, or ``deferrable=True`` (default from
    ``[operators] default_deferrable``): one check on the worker, then the wait is
    handed to :class:`~airflow_provider_adtech.triggers.oi.OiReportTrigger` and
    :meth:`execute_complete` finishes. ``timeout`` and ``soft_fail`` behave as
    ``BaseSensorOperator`` defines them (a deferral times out after ``timeout``).

    The arguments are checked before any request: a bad date, ``end`` before ``start``,
    an unknown ``fields``/``groupby`` value, ``id_type`` without ``ids`` or a bad
    ``output_path`` fail the task with :class:`~airflow_provider_adtech.exceptions.AdtechValidationError`
    (not retried) naming every problem.

    Returns (XCom) a small summary: ``start``, ``end``, ``rows``, ``impressions``,
    ``revenue``, ``rpm``, ``requests``, ``reason``, ``output``.

    :param oi_conn_id: Opt-Intelligence connection. (templated)
    :param start: first day (``YYYY-MM-DD``); default: the run's data interval day. (templated)
    :param end: last day, inclusive; default: ``start`` when ``start`` is not given,
        else none (the vendor reports up to today). (templated)
    :param id_type: ``publisher`` or ``placement`` filter; needs ``ids``. (templated)
    :param ids: ids to filter by (list or comma-separated). (templated)
    :param fields: stats to return (``rpm``, ``revenue``, ``impressions``). (templated)
    :param groupby: roll-up (``placement``, ``publisher``, ``subid``, ``subid2``); subid data
        only exists from 2017-09-29 (a warning is logged for earlier starts). (templated)
    :param report: report resource below ``reports/``. (templated)
    :param ready_when: ``rows``, ``impressions`` or ``settled``. (templated)
    :param min_rows: rows needed. (templated)
    :param min_impressions: impressions needed with ``ready_when="impressions"``. (templated)
    :param output_path: when set, every row of the ready report is written there: a local
        path, a ``file://`` URI or an object in any store Airflow's ``ObjectStoragePath`` reaches
        (``s3://bucket/key``, ``gs://``, ``abfs://``...), ``.csv`` or ``.jsonl``/``.ndjson``. (templated)
    :param aws_conn_id: connection of the output's object store: an AWS connection for ``s3://``,
        else that of the scheme's provider. (templated)
    :param page_size: rows per report call (``row_limit``), at most 2000.
    :param deferrable: hand the wait to the triggerer.
    """

    template_fields: Sequence[str] = (
        "oi_conn_id", "start", "end", "id_type", "ids", "fields", "groupby", "report", "ready_when",
        "min_rows", "min_impressions", "output_path", "aws_conn_id",
    )
    ui_color = "#f4d9b3"

    def __init__(
        self,
        *,
        oi_conn_id: str = "oi_default",
        start: Any = None,
        end: Any = None,
        id_type: str | None = None,
        ids: Any = None,
        fields: Any = None,
        groupby: Any = None,
        report: str = "publishers",
        ready_when: str = "rows",
        min_rows: int = 1,
        min_impressions: float = 1,
        output_path: str | None = None,
        aws_conn_id: str | None = "aws_default",
        page_size: int = 2000,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.oi_conn_id = oi_conn_id
        self.start = start
        self.end = end
        self.id_type = id_type
        self.ids = ids
        self.fields = fields
        self.groupby = groupby
        self.report = report
        self.ready_when = ready_when
        self.min_rows = min_rows
        self.min_impressions = min_impressions
        self.output_path = output_path
        self.aws_conn_id = aws_conn_id
        self.page_size = page_size
        self.deferrable = deferrable
        self._previous_fingerprint: str | None = None
        self._polls = 0

    # ------------------------------------------------------------------ arguments
    def _prepare(self, context: Context) -> None:
        """Check every argument (no request yet); raise AdtechValidationError listing all problems."""
        from airflow_provider_adtech.exceptions import AdtechValidationError
        from airflow_provider_adtech.formats import oi as fmt
        from airflow_provider_adtech.formats.errors import ValidationFailed
        from airflow_provider_adtech.utils.args import as_list, data_day

        source = f"{type(self).__name__} {self.task_id}"
        problems = []
        warnings: list[str] = []
        start, end = self.start, self.end
        if start in (None, "") and end in (None, ""):
            start = end = data_day(context).isoformat()
        self._query = None
        try:
            self._query = fmt.build_report_query(
                start, end, id_type=self.id_type, ids=self.ids, fields=self.fields, groupby=self.groupby,
                report=self.report, source=source, warnings=warnings,
            )
        except ValidationFailed as exc:
            problems += exc.problems
        fields = [str(f).lower() for f in as_list(self.fields, "fields")]
        checks = (
            lambda: fmt.check_ready_criterion(self.ready_when, self.min_rows, self.min_impressions, fields, source),
            lambda: fmt.check_output_target(self.output_path, source),
            lambda: fmt.check_page_size(self.page_size, source),
        )
        results = []
        for check in checks:
            try:
                results.append(check())
            except ValidationFailed as exc:
                problems += exc.problems
                results.append(None)
        if problems:
            failed = ValidationFailed(problems, what=source)
            raise AdtechValidationError(str(failed), failed.problems)
        for w in warnings:
            self.log.warning("Opt-Intelligence: %s", w)
        self._criterion, self._min_rows, self._min_impressions = results[0]
        self._output = results[1]
        self._page_size = results[2]

    def _hook(self):
        from airflow_provider_adtech.hooks.oi import OiHook

        return OiHook(oi_conn_id=self.oi_conn_id)

    # ------------------------------------------------------------------ settled state
    def _state_key(self, context: Context) -> str:
        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        return f"adtech_oi_sensor__{ti.dag_id}__{ti.run_id}__{ti.task_id}__{map_index}"

    def _keeps_state_outside(self) -> bool:
        return self._criterion == "settled" and self.reschedule and not self.deferrable

    def _load_previous(self, context: Context) -> str | None:
        if self._keeps_state_outside():
            from airflow.providers.common.compat.sdk import Variable

            return Variable.get(self._state_key(context), None)  # positional: 2.x calls it default_var
        return self._previous_fingerprint

    def _store_previous(self, context: Context, fingerprint: str) -> None:
        self._previous_fingerprint = fingerprint
        if self._keeps_state_outside():
            from airflow.providers.common.compat.sdk import Variable

            Variable.set(self._state_key(context), fingerprint,
                         description="OiReportSensor: report fingerprint at the previous poke")

    def _forget_previous(self, context: Context) -> None:
        if self._keeps_state_outside():
            from airflow.providers.common.compat.sdk import Variable

            try:
                Variable.delete(self._state_key(context))
            except Exception as exc:  # leftover state is harmless; say so and carry on
                self.log.warning("could not remove Variable %s: %s", self._state_key(context), exc)

    # ------------------------------------------------------------------ waiting
    def execute(self, context: Context) -> Any:
        self._prepare(context)
        self.log.info("Waiting for the Opt-Intelligence report %s (ready when: %s)", self._query.describe(),
                      self._criterion)
        if not self.deferrable:
            return super().execute(context)
        done = self.poke(context)
        if done:
            return done.xcom_value
        from airflow_provider_adtech.triggers.oi import OiReportTrigger

        self.defer(
            trigger=OiReportTrigger(
                query=self._query.as_dict(),
                oi_conn_id=self.oi_conn_id,
                ready_when=self._criterion,
                min_rows=self._min_rows,
                min_impressions=self._min_impressions,
                poke_interval=float(self.poke_interval),
                page_size=self._page_size,
                previous_fingerprint=self._previous_fingerprint,
                polls=self._polls,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def poke(self, context: Context) -> Any:
        from airflow.providers.common.compat.sdk import PokeReturnValue

        from airflow_provider_adtech.formats.oi import report_ready

        if getattr(self, "_query", None) is None:
            self._prepare(context)
        hook = self._hook()
        try:
            with _RowSpool(self._output) as spool:
                figures = hook.report_figures(self._query, page_size=self._page_size, writer=spool.writer)
                self._polls += 1
                ready, reason = report_ready(self._criterion, figures.as_dict(), self._load_previous(context),
                                             min_rows=self._min_rows, min_impressions=self._min_impressions)
                if not ready:
                    self.log.info("Report not ready (poke %d): %s", self._polls, reason)
                    self._store_previous(context, figures.fingerprint)
                    return False
                self.log.info("Report ready: %s", reason)
                output = spool.deliver(self.aws_conn_id) if self._output else None
        finally:
            hook.close()
        self._forget_previous(context)
        return PokeReturnValue(is_done=True, xcom_value=self._summary(figures.as_dict(), reason, output))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: fail on an error event, else write the rows (if
        ``output_path`` is set) and return the summary."""
        if not event or event.get("status") != "success":
            message = (event or {}).get("message", "no event from the trigger")
            raise AirflowException(f"Opt-Intelligence report wait failed: {message}")
        self._prepare(context)
        figures = event.get("figures") or {}
        output = None
        # One read of the whole report per task: for the rows written to output_path, or for
        # the summary's figures when the trigger only checked the first rows ("partial").
        if self._output or figures.get("partial"):
            hook = self._hook()
            try:
                with _RowSpool(self._output) as spool:
                    walked = hook.report_figures(self._query, page_size=self._page_size, writer=spool.writer)
                    output = spool.deliver(self.aws_conn_id) if self._output else None
            finally:
                hook.close()
            if not figures.get("partial") and walked.fingerprint != figures.get("fingerprint"):
                self.log.warning("The report changed between the trigger's last poll and the export; the "
                                 "summary describes the rows written")
            figures = walked.as_dict()
        return self._summary(figures, event.get("reason", ""), output, polls=event.get("polls"))

    def _summary(self, figures: dict[str, Any], reason: str, output: str | None,
                 polls: int | None = None) -> dict[str, Any]:
        summary = {
            "start": self._query.start,
            "end": self._query.end,
            "query": self._query.describe(),
            "rows": figures.get("rows"),
            "impressions": figures.get("impressions"),
            "revenue": figures.get("revenue"),
            "rpm": figures.get("rpm"),
            "requests": figures.get("requests"),
            "ready_when": self._criterion,
            "reason": reason,
            "polls": polls if polls is not None else self._polls,
            "output": output,
        }
        self.log.info("Opt-Intelligence report: %s", summary)
        return summary

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from airflow_provider_adtech.utils.lineage import operator_lineage

        report = getattr(self, "_query", None)
        hook = self._hook()
        source = hook.url(f"reports/{report.report if report else self.report}/")
        return operator_lineage([source], [self._output] if getattr(self, "_output", None) else [])


class _RowSpool:
    """Spools report rows to a temporary JSON Lines file while a poke walks the report;
    :meth:`deliver` converts it (CSV when the target ends in .csv) and copies it to the
    target (local or an object store). Without a target it does nothing."""

    def __init__(self, target: str | None):
        self.target = target
        self.writer = None
        self._dir = None
        self._fh = None

    def __enter__(self) -> _RowSpool:
        if self.target:
            import os
            import tempfile

            from airflow_provider_adtech.formats.oi import JsonlRowWriter

            self._dir = tempfile.TemporaryDirectory(prefix="oi-report-")
            self._path = os.path.join(self._dir.name, "rows.jsonl")
            self._fh = open(self._path, "w", encoding="utf-8")
            self.writer = JsonlRowWriter(self._fh)
        return self

    def deliver(self, aws_conn_id: str | None) -> str:
        import os

        from airflow_provider_adtech.formats.oi import jsonl_to_csv, output_format
        from airflow_provider_adtech.utils.storage import put_file

        self._fh.close()
        final = self._path
        if output_format(self.target) == "csv":
            final = os.path.join(self._dir.name, "rows.csv")
            with open(self._path, encoding="utf-8") as src, open(final, "w", encoding="utf-8", newline="") as dst:
                jsonl_to_csv(src, dst, self.writer.columns)
        return put_file(final, self.target, aws_conn_id)

    def __exit__(self, *exc: Any) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()
        if self._dir is not None:
            self._dir.cleanup()
