"""Trigger of :class:`~airflow_provider_adtech.sensors.oi.OiReportSensor` (deferrable mode).

Runs in the triggerer: :meth:`OiReportTrigger.run` polls the Opt-Intelligence report
and sleeps with ``asyncio.sleep`` between polls; each poll (blocking HTTP through
:class:`~airflow_provider_adtech.hooks.oi.OiHook`) runs in a worker thread with
``asyncio.to_thread``, so the triggerer's event loop is never blocked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


class OiReportTrigger(BaseTrigger):
    """Fires once the report has data by the chosen criterion, or on the first error.

    Each poll costs one request for ``ready_when="rows"`` (up to 2000 ``min_rows``): only
    that many rows are asked for. Events stay small (figures, never rows):
    ``{"status": "success", "figures": {...}, "reason": ..., "polls": n}`` or
    ``{"status": "error", "message": ..., "error_type": ..., "polls": n}``.

    :param query: the report query as :meth:`ReportQuery.as_dict
        <airflow_provider_adtech.formats.oi.ReportQuery.as_dict>` returns it.
    :param oi_conn_id: the Airflow connection (its id only; the triggerer reads the
        connection itself, no secret is serialized).
    :param ready_when: ``rows``, ``impressions`` or ``settled`` (see
        :func:`~airflow_provider_adtech.formats.oi.report_ready`).
    :param min_rows: rows needed.
    :param min_impressions: impressions needed (``ready_when="impressions"``).
    :param poke_interval: seconds between polls.
    :param page_size: ``row_limit`` per report call (at most 2000).
    :param previous_fingerprint: fingerprint of the figures at the sensor's last poke
        (for ``settled``).
    :param polls: polls already made by the sensor before deferring.
    """

    def __init__(
        self,
        *,
        query: dict[str, Any],
        oi_conn_id: str = "oi_default",
        ready_when: str = "rows",
        min_rows: int = 1,
        min_impressions: float = 0,
        poke_interval: float = 60.0,
        page_size: int = 2000,
        previous_fingerprint: str | None = None,
        polls: int = 0,
    ) -> None:
        super().__init__()
        self.query = dict(query)
        self.oi_conn_id = oi_conn_id
        self.ready_when = ready_when
        self.min_rows = int(min_rows)
        self.min_impressions = float(min_impressions)
        self.poke_interval = float(poke_interval)
        self.page_size = int(page_size)
        self.previous_fingerprint = previous_fingerprint
        self.polls = int(polls)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "query": dict(self.query),
                "oi_conn_id": self.oi_conn_id,
                "ready_when": self.ready_when,
                "min_rows": self.min_rows,
                "min_impressions": self.min_impressions,
                "poke_interval": self.poke_interval,
                "page_size": self.page_size,
                "previous_fingerprint": self.previous_fingerprint,
                "polls": self.polls,
            },
        )

    def _poll(self) -> dict[str, Any]:
        """One readiness check (blocking; runs in a worker thread).

        ``rows``: only the first ``min_rows`` rows are asked for (``row_limit=min_rows``: one
        request up to 2000), and the figures say ``"partial": true``; the task reads the
        whole report once, after the event. ``impressions`` and ``settled`` need every row
        to decide, so each poll walks the report (rows are totalled, not kept).
        """
        from airflow_provider_adtech.formats.oi import ReportQuery
        from airflow_provider_adtech.hooks.oi import OiHook

        hook = OiHook(oi_conn_id=self.oi_conn_id)
        try:
            if self.ready_when == "rows":
                wanted = max(1, self.min_rows)
                figures = hook.report_figures(ReportQuery.from_dict(self.query), page_size=self.page_size,
                                              max_rows=wanted).as_dict()
                figures["partial"] = figures["rows"] >= wanted
                return figures
            return hook.report_figures(ReportQuery.from_dict(self.query), page_size=self.page_size).as_dict()
        finally:
            hook.close()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_adtech.formats.oi import report_ready

        previous = self.previous_fingerprint
        polls = self.polls
        if polls:
            # The sensor polled just before deferring: wait a full interval before the next
            # poll. (An event fired within seconds of the deferral can also race the
            # scheduler's handling of the deferring attempt on Airflow 3.3.)
            await asyncio.sleep(self.poke_interval)
        while True:
            try:
                figures = await asyncio.to_thread(self._poll)
            except Exception as exc:  # the task decides (fail, or skip with soft_fail)
                self.log.error("Opt-Intelligence report poll failed: %s", exc)
                yield TriggerEvent({"status": "error", "message": str(exc), "error_type": type(exc).__name__,
                                    "polls": polls + 1})
                return
            polls += 1
            ready, reason = report_ready(self.ready_when, figures, previous, min_rows=self.min_rows,
                                         min_impressions=self.min_impressions)
            if ready and figures.get("partial"):
                reason = (f"the report has at least {figures['rows']} row(s) (only the first {figures['rows']} "
                          f"were asked for; min_rows={self.min_rows})")
            if ready:
                self.log.info("Opt-Intelligence report ready after %d poll(s): %s", polls, reason)
                yield TriggerEvent({"status": "success", "figures": figures, "reason": reason, "polls": polls})
                return
            self.log.info("Opt-Intelligence report not ready (poll %d): %s; next poll in %.1f s",
                          polls, reason, self.poke_interval)
            previous = figures.get("fingerprint")
            await asyncio.sleep(self.poke_interval)
