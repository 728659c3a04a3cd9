"""Opt-Intelligence publisher API: field rules, report queries and report rows.

Pure Python (no Airflow, no ``requests``). The rules quote the vendor document
("Publisher", ``opt-intelligence-publisher-api.txt``):

* publishers: ``name`` and ``status_id`` ("1 = active, 2 = inactive") are required
  on POST; ``category_id`` and ``key`` are optional; ``id``, ``create_date`` and
  ``modify_date`` are "system generated".
* placements: ``publisher_id``, ``name``, ``status_id`` ("9 = add to Approval
  Queue, 2 = off, 1 (system only) = live"), ``layout_id``, ``offer_format_id``,
  ``max_offers`` and ``parameter_share`` (boolean) are required on POST;
  ``time_period`` is "Required when max_impressions is in use" and
  ``time_period_offer`` "Required when max_impressions_offer is in use".
* reports: summary mode (``today``, ``yesterday``, ``mtd``) or custom mode
  (``start``, optional ``end``, "Both start and end dates are inclusive");
  ``id-type`` (placement or publisher) needs ``ids``; ``fields`` accepts "rpm,
  revenue, and impressions"; ``groupby`` accepts "placement, publisher, subid,
  and subid2" and subid grouping "will only return data starting from September
  29th, 2017"; "The max range for a Custom mode return is 2000 rows", paged with
  ``row_start`` (default 1) and ``row_limit`` (default 100), "whole numbers".
"""

from __future__ import annotations

from airflow_provider_adtech.formats.oi.figures import (
    IDENTIFIER_COLUMNS,
    IMPRESSIONS_TYPO,
    READY_CRITERIA,
    STAT_COLUMNS,
    ReportFigures,
    check_ready_criterion,
    report_ready,
    row_impressions,
)
from airflow_provider_adtech.formats.oi.output import (
    OUTPUT_EXTENSIONS,
    JsonlRowWriter,
    check_output_target,
    iter_csv_rows,
    jsonl_to_csv,
    ordered_columns,
    output_format,
)
from airflow_provider_adtech.formats.oi.payloads import read_records, validate_payload_file
from airflow_provider_adtech.formats.oi.queries import (
    DEFAULT_ROW_LIMIT,
    ID_TYPES,
    MAX_ROWS_PER_CALL,
    REPORT_FIELDS,
    REPORT_GROUPBY,
    SUBID_DATA_FROM,
    SUMMARY_PERIODS,
    ReportQuery,
    as_list,
    build_report_query,
    check_page_size,
)
from airflow_provider_adtech.formats.oi.records import (
    PLACEMENT_ADVICE,
    PLACEMENT_LIMITS,
    PLACEMENT_REQUIRES,
    PLACEMENT_RULES,
    PLACEMENT_STATUS_SETTABLE,
    PLACEMENT_STATUS_SYSTEM,
    PUBLISHER_RULES,
    PUBLISHER_STATUS,
    SYSTEM_FIELDS,
    FieldRule,
    check_record,
    validate_record,
)

__all__ = [
    "FieldRule", "PUBLISHER_RULES", "PLACEMENT_RULES", "check_record", "validate_record", "read_records",
    "validate_payload_file", "ReportQuery", "build_report_query", "check_page_size", "ReportFigures",
    "check_ready_criterion", "report_ready", "check_output_target", "output_format", "ordered_columns",
    "JsonlRowWriter", "jsonl_to_csv", "iter_csv_rows", "MAX_ROWS_PER_CALL", "SUBID_DATA_FROM",
    "DEFAULT_ROW_LIMIT", "ID_TYPES", "IDENTIFIER_COLUMNS", "IMPRESSIONS_TYPO", "OUTPUT_EXTENSIONS",
    "PLACEMENT_ADVICE", "PLACEMENT_LIMITS", "PLACEMENT_REQUIRES", "PLACEMENT_STATUS_SETTABLE",
    "PLACEMENT_STATUS_SYSTEM", "PUBLISHER_STATUS", "READY_CRITERIA", "REPORT_FIELDS", "REPORT_GROUPBY",
    "STAT_COLUMNS", "SUMMARY_PERIODS", "SYSTEM_FIELDS", "as_list", "row_impressions",
]
