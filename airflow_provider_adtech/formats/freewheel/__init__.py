"""FreeWheel AutoScheduler linear orders: the S3 delivery file and the JSON order lines.

Specification: FreeWheel's "AutoScheduler linear orders" document (file
specifications, "CSV File Data Fields" table and the API's "Basic Attributes" table).

**Delivery file** (:func:`build_delivery`): "a zipped, comma-delimited .csv file with a
file size of no more than 500MB", "each line in the file must represent one order
line", named ``linear_orders_{date of orders}_{timestamp}.csv``. Choices made here
where the document is silent, used everywhere:

* ``{date of orders}`` is ``YYYYMMDD`` (the document's date format), ``{timestamp}`` is
  ``YYYYMMDDHHMMSS`` (UTC). The archive is ``linear_orders_{date}_{timestamp}.zip`` and
  holds exactly one member, ``linear_orders_{date}_{timestamp}.csv``.
* The header row holds the column names of the table (``buget_units`` with the
  document's spelling; ``budget_units`` is accepted on input), then
  ``syscode_inclusions``, the field the document requires for regional syscodes.
* "String type fields must be enclosed within quotation marks": every String, Char and
  Array cell is quoted; Integer cells are not.
* **Array encoding**: the elements of an array field are written in one quoted cell,
  separated by commas without spaces, e.g. ``"1234,5678"`` (the document's own encoding
  for ``syscode_inclusions``: "a comma-separated list"). A String element therefore
  cannot contain a comma. Arrays of one line have equal lengths, at least one element.
* Line endings are CRLF (RFC 4180), encoding UTF-8 without BOM.

**JSON order lines** (:func:`validate_api_lines`, :func:`api_line_from_order`): the
API's "Basic Attributes" table; :func:`api_line_from_order` maps a delivery line to an
API line where the two meet.

Everything streams: the build keeps a compact index of the
``contractid+tb_system_id+order_line`` keys (12 bytes a line, needed for the
uniqueness rule), never the lines themselves.
"""

from __future__ import annotations

from airflow_provider_adtech.formats.freewheel.api import (
    API_REQUIRED,
    ApiLineValidator,
    api_line_from_order,
    spool_api_lines,
    spool_orders_as_api_lines,
    batched,
    validate_api_lines,
)
from airflow_provider_adtech.formats.freewheel.archive import read_delivery
from airflow_provider_adtech.formats.freewheel.delivery import DeliveryFile, DeliveryWriter, build_delivery
from airflow_provider_adtech.formats.freewheel.keys import KeyIndex
from airflow_provider_adtech.formats.freewheel.names import (
    broadcast_week,
    delivery_names,
    format_timestamp,
    parse_delivery_name,
)
from airflow_provider_adtech.formats.freewheel.records import (
    check_columns,
    iter_csv_records,
    iter_row_records,
    parse_records,
)
from airflow_provider_adtech.formats.freewheel.schema import (
    API_ONE_LINE_RULE,
    ARRAY_FIELDS,
    ARRAY_HINT,
    ARRAY_SEPARATOR,
    CSV_COLUMNS,
    DEFAULT_DURATIONS,
    DOCUMENT_COLUMNS,
    DOLLARS_RULE,
    EXTERNAL_ID_SEPARATOR,
    INCLUSIONS_COLUMN,
    INPUT_ALIASES,
    INTEGER_FIELDS,
    MAX_ZIP_BYTES,
    ONE_LINE_RULE,
    STRING_FIELDS,
    LineRules,
    OrderLine,
)

__all__ = [
    "API_ONE_LINE_RULE", "API_REQUIRED", "ARRAY_FIELDS", "ARRAY_HINT", "ARRAY_SEPARATOR", "CSV_COLUMNS",
    "DEFAULT_DURATIONS", "DOCUMENT_COLUMNS", "DOLLARS_RULE", "EXTERNAL_ID_SEPARATOR", "INCLUSIONS_COLUMN",
    "INPUT_ALIASES", "INTEGER_FIELDS", "MAX_ZIP_BYTES", "ONE_LINE_RULE", "STRING_FIELDS",
    "DeliveryFile", "DeliveryWriter", "KeyIndex", "LineRules", "OrderLine",
    "ApiLineValidator", "api_line_from_order", "batched", "broadcast_week", "build_delivery", "check_columns",
    "delivery_names", "format_timestamp", "iter_csv_records", "iter_row_records", "parse_delivery_name",
    "parse_records", "read_delivery", "spool_api_lines", "spool_orders_as_api_lines", "validate_api_lines",
]
