"""BidSwitch discrepancy report: model, validation, builder and summary.

Specification: BidSwitch "Supplier Discrepancy API", section "Upload Report Format".
An upload is ``{"reports": [report, ...]}``; a report is::

    {"seat": "123",            # optional (suppliers only): the Buyer
     "timezone": "UTC",        # required, one of pytz.all_timezones
     "currency": "USD",        # required, one of USD, EUR, JPY
     "data": {"2016-08-05": [  # one array of rows per day (several days: "Multi-Day Report")
         {"hour": "00", "imps": 895, "cost": 16.6, "bids": 419746, "timeouts": 26887}]}}

Rules (quoted from the document where it states them):

* ``timezone``: "the valid options being those in the pytz.all_timezones list".
* ``currency``: "one of the following: [ 'USD', 'EUR', 'JPY']".
* ``hour``: "Value is from range 00-23. If this field is absent, it is assumed that
  the report is for the full day"; "hour is represented as a string and must contain
  2 digits".
* ``imps`` (Integer, required), ``cost`` (Float, required), ``bids`` and ``timeouts``
  (Integer, optional): counts and money are never negative.
* Zero reports: "Zero reports indicate that no trading occurred, and they must contain
  {"imps":0,"cost":0}" (so a day is never an empty array).
* Within one day and seat an hour appears once, and a day holds either hourly rows or
  one full-day row, never both (the full-day row would count the hours twice).
* Relations between the fields of one row, from their descriptions: ``cost`` is "The
  final cost for delivered impressions", so a row with ``imps`` 0 has ``cost`` 0
  (refused otherwise). ``timeouts`` is "The number of bid requests ending in a timeout",
  a part of ``bids`` ("This includes all bid types such as requests ending in an error or
  timeout"); the document's own Hourly Report example breaks that on 15 of 24 rows, so
  such rows are sent as given and listed in the notes (:func:`relation_notes`).

Everything here is pure Python (pydantic and pytz, no Airflow, no HTTP): usable in
a notebook or a unit test. Problems carry the JSON path of the offending value,
e.g. ``reports[1].data.2016-08-05[3].hour``, and a rule id such as
``bidswitch.hour.format``.
"""

from __future__ import annotations

from airflow_provider_adtech.formats.bidswitch.build import (
    BuildResult,
    apply_report_dates,
    build_upload,
    parse_report_dates,
)
from airflow_provider_adtech.formats.bidswitch.checks import json_path, report_problems, validate_upload
from airflow_provider_adtech.formats.bidswitch.inputs import rows_from_csv, rows_from_records
from airflow_provider_adtech.formats.bidswitch.model import (
    DataRow,
    DiscrepancyUpload,
    NonNegInt,
    Report,
    ReportDate,
)
from airflow_provider_adtech.formats.bidswitch.relations import (
    cost_without_imps,
    relation_notes,
    relation_problems,
)
from airflow_provider_adtech.formats.bidswitch.rows import Conversions, ReportRow
from airflow_provider_adtech.formats.bidswitch.schema import (
    COST_RULE,
    CURRENCIES,
    GRANULARITIES,
    HOUR_RULE,
    RECORD_FIELDS,
    ROW_FIELDS,
    TEXT_NUMBER_RULE,
    TIMEOUTS_TEXT,
    ZERO_RULE,
    check_currency,
    check_date,
    check_hour,
    check_timezone,
)
from airflow_provider_adtech.formats.bidswitch.summary import describe_report, summarize, totals, upload_to_rows
from airflow_provider_adtech.formats.errors import Problem, ProblemCollector, ValidationFailed

__all__ = [
    "COST_RULE", "CURRENCIES", "GRANULARITIES", "HOUR_RULE", "RECORD_FIELDS", "ROW_FIELDS", "TEXT_NUMBER_RULE",
    "TIMEOUTS_TEXT", "ZERO_RULE", "NonNegInt", "ReportDate",
    "DataRow", "Report", "DiscrepancyUpload", "ReportRow", "BuildResult", "Conversions",
    "check_currency", "check_date", "check_hour", "check_timezone", "cost_without_imps", "relation_notes",
    "relation_problems", "json_path", "report_problems", "validate_upload", "rows_from_records", "rows_from_csv",
    "build_upload", "apply_report_dates", "parse_report_dates", "upload_to_rows", "describe_report", "summarize", "totals",
    "Problem", "ProblemCollector", "ValidationFailed",
]
