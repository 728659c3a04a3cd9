"""iSpot TV-conversion files: schema, validation, normalization, splitting (pure Python).

Specification: iSpot "TV Conversions - Upload Data via API". Typical use::

    from airflow_provider_adtech.formats.ispot import (
        ConversionRules, SplitOptions, local_file, prepare_conversions)

    rules = ConversionRules(dates=(date(2026, 11, 20),), column_mapping={"TIME_STAMP": "datetime"})
    prepared = prepare_conversions([local_file("export.csv")], rules,
                                   SplitOptions(day=date(2026, 11, 20)), out_dir="/tmp/parts")
    for part in prepared.parts:
        print(part.name, part.rows, part.bytes)

:func:`prepare_conversions` raises :class:`~airflow_provider_adtech.formats.errors.ValidationFailed`
listing every problem (file, line, column, rule) when the input breaks the document's rules.
"""

from __future__ import annotations

from airflow_provider_adtech.formats.ispot.checks import ValueChecks
from airflow_provider_adtech.formats.ispot.parts import PartFile, PartWriter, SplitOptions
from airflow_provider_adtech.formats.ispot.pipeline import (
    FileSource,
    PreparedUpload,
    RowsSource,
    SourceReport,
    local_file,
    prepare_conversions,
    validate_conversions,
)
from airflow_provider_adtech.formats.ispot.schema import (
    APP_VALUES,
    COLUMNS,
    DEFAULT_SITEID_PATTERN,
    EXTRA_COLUMNS,
    KNOWN_COLUMNS,
    MAX_PART_BYTES,
    MIN_PART_BYTES,
    REPROCESSING_AFTER_DAYS,
    REQUIRED_COLUMNS,
    ConversionRules,
    Layout,
    resolve_header,
)
from airflow_provider_adtech.formats.ispot.sizes import check_part_sizes

__all__ = [
    "APP_VALUES",
    "COLUMNS",
    "DEFAULT_SITEID_PATTERN",
    "EXTRA_COLUMNS",
    "KNOWN_COLUMNS",
    "MAX_PART_BYTES",
    "MIN_PART_BYTES",
    "REPROCESSING_AFTER_DAYS",
    "REQUIRED_COLUMNS",
    "ConversionRules",
    "FileSource",
    "Layout",
    "PartFile",
    "PartWriter",
    "PreparedUpload",
    "RowsSource",
    "SourceReport",
    "SplitOptions",
    "ValueChecks",
    "check_part_sizes",
    "local_file",
    "prepare_conversions",
    "resolve_header",
    "validate_conversions",
]
