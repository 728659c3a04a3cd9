"""Opt-Intelligence emulation (document: opt-intelligence-publisher-api.txt).

What the document says, and this emulation does:

* HTTP Basic on every call; paths under ``/v1/`` (``publishers/``, ``placements/``,
  ``reports/publishers/``); an id path is accepted with or without the trailing ``/``
  (the document shows both ``publishers/59`` and ``placements/98987676/``).
* publishers: GET (list: a bare JSON array; one: an object), POST, PUT, DELETE.
  ``name`` and ``status_id`` (1 = active, 2 = inactive) are required on POST. Deletes
  are soft: a deleted publisher disappears from GET but its name cannot be used again.
* placements: GET, POST, PUT (no DELETE). Required on POST: ``publisher_id``, ``name``,
  ``status_id`` (9 = add to Approval Queue, 2 = off; 1 = live is system only),
  ``layout_id``, ``offer_format_id``, ``max_offers``, ``parameter_share``;
  ``time_period`` when ``max_impressions`` is in use, ``time_period_offer`` when
  ``max_impressions_offer`` is. A GET answers ``id`` as a string, as in the document.
* saves answer ``{"status": "Save Successful", "message": ..., "id": ...}``.
* a missing id answers ``400 {"status": "Retrieve Failed", "message": ...}``; deleting a
  missing (or already deleted) publisher answers ``403``.
* reports: summary mode (no ``start``: ``today``, ``yesterday``, ``mtd``) and custom
  mode (``start``, optional inclusive ``end``: ``custom``), filters ``id-type`` + ``ids``,
  ``fields`` (rpm, revenue, impressions), ``groupby`` (placement, publisher, subid,
  subid2; subid data only from 2017-09-29), paging with ``row_start`` (1-based,
  default 1) and ``row_limit`` (default 100, at most 2000 rows per call).

Not in the document, so shaped by analogy and kept plain: a refused save answers
``400 {"status": "Save Failed", "message": ...}``; bad report parameters answer
``400 {"status": "error", "message": ...}``; a report with no data yet has an empty
list; the subid columns are named ``SUBID`` and ``SUBID2``.

Report data is synthetic and deterministic. Settings (``server.configure("oi", ...)``):

* ``report_rows`` (default 25): placements with traffic, i.e. rows of a report grouped
  by placement (4500 gives pages of 2000, 2000 and 500);
* ``report_publishers`` (default 3): publishers those placements belong to;
* ``report_ready_after`` (default 0): custom-mode polls (first-page requests) of a date
  range that answer no rows before the data "arrives";
* ``report_settle_after`` (default 0): polls after arrival whose figures are still
  growing before they stay final;
* ``today`` (ISO date, default: today in UTC) for summary mode.
"""

from airflow_provider_adtech.sandbox.oi.sandbox import OiSandbox

__all__ = ["OiSandbox"]
