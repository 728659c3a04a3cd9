"""FreeWheel delivery schema: columns, field kinds, limits, rule texts and the order-line types.

Source: FreeWheel's "AutoScheduler linear orders" document, "CSV File Data Fields" table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: "CSV File Data Fields", in the document's order (``buget_units`` spelled as there)
DOCUMENT_COLUMNS: tuple[str, ...] = (
    "contractid", "tb_system_id", "order_start_date", "order_end_date", "advertiser_name",
    "advertiser_code", "order_line", "spot_length", "prioritycode", "broadcast_week", "bookingdesc",
    "orbits", "syscode", "gross_dollars", "buget_units", "duration", "networkname", "networkcode",
    "marketname",
)
#: "If the order line is for regional syscode, then syscode_inclusions must have a
#: comma-separated list of local syscodes for that regional syscode."
INCLUSIONS_COLUMN = "syscode_inclusions"
#: the header of the delivered CSV
CSV_COLUMNS: tuple[str, ...] = DOCUMENT_COLUMNS + (INCLUSIONS_COLUMN,)
#: input spellings accepted for a column
INPUT_ALIASES: dict[str, str] = {"budget_units": "buget_units"}

INTEGER_FIELDS = ("contractid", "tb_system_id", "order_line", "spot_length", "prioritycode")
STRING_FIELDS = ("advertiser_name", "advertiser_code")
#: array fields and the type of their elements
ARRAY_FIELDS: dict[str, str] = {
    "syscode": "integer", "gross_dollars": "float", "buget_units": "integer", "duration": "integer",
    "networkname": "string", "networkcode": "string", "marketname": "string",
}
ARRAY_SEPARATOR = ","
#: "duration | required | int | In seconds (15,30,60)"
DEFAULT_DURATIONS: tuple[int, ...] = (15, 30, 60)
#: "a file size of no more than 500MB" (decimal megabytes: the stricter reading)
MAX_ZIP_BYTES = 500 * 1000 * 1000
#: separator of contractid, tb_system_id and order_line in the API's ``external_id``
EXTERNAL_ID_SEPARATOR = "-"

#: an Integer cell: digits only
INT_RE = re.compile(r"^\d+$")
#: a time of day ``HH:MM`` (a pattern that others are built from)
HHMM = r"(?:[01]\d|2[0-3]):[0-5]\d"

ARRAY_HINT = 'arrays are comma-separated values in one quoted cell, e.g. "1234,5678"'
#: a relation between two fields of one line, read from the API's description of the same order line
DOLLARS_RULE = ('document: the order line\'s "price | Price of each unit in dollars" and "budget.total_unit | '
                'Number of units requested": dollars are paid for units, so no units means no dollars')
#: "File Specifications": the reason a value may hold no line break (nor other control character)
ONE_LINE_RULE = 'document: "Each line in the file must represent one order line."'
#: "Basic Attributes Field": the same for the JSON order lines, which FreeWheel stores as order lines
API_ONE_LINE_RULE = ('document: "Each record represents a unit-based linear order line." (one line: '
                     '"Each line in the file must represent one order line.")')


def fmt_set(values: Iterable[int]) -> str:
    """``{15, 30, 60}``: a set of allowed values in a message."""
    return "{" + ", ".join(str(v) for v in sorted(values)) + "}"


@dataclass
class OrderLine:
    """One validated delivery line (typed values)."""

    contractid: int
    tb_system_id: int
    order_start_date: dt.date
    order_end_date: dt.date
    advertiser_name: str
    advertiser_code: str
    order_line: int
    spot_length: int
    prioritycode: int
    broadcast_week: str
    bookingdesc: str
    orbits: bool
    syscode: list[int]
    gross_dollars: list[str]
    buget_units: list[int]
    duration: list[int]
    networkname: list[str]
    networkcode: list[str]
    marketname: list[str]
    syscode_inclusions: list[int] = field(default_factory=list)
    #: True when ``syscode_inclusions`` came from the ``regional_syscodes`` mapping
    inclusions_filled: bool = False
    #: line (or record number) of the input the line came from
    source_line: int | None = None

    @property
    def key(self) -> tuple[int, int, int]:
        return self.contractid, self.tb_system_id, self.order_line

    @property
    def external_id(self) -> str:
        """"contractid+tb_system_id+order_line ... compose the external_id"."""
        return EXTERNAL_ID_SEPARATOR.join(str(k) for k in self.key)

    def csv_cells(self) -> list[Any]:
        """Cells in :data:`CSV_COLUMNS` order: ints for Integer fields, text for the others."""
        sep = ARRAY_SEPARATOR
        return [
            self.contractid, self.tb_system_id,
            f"{self.order_start_date:%Y%m%d}", f"{self.order_end_date:%Y%m%d}",
            self.advertiser_name, self.advertiser_code,
            self.order_line, self.spot_length, self.prioritycode,
            self.broadcast_week, self.bookingdesc, "Y" if self.orbits else "N",
            sep.join(map(str, self.syscode)), sep.join(self.gross_dollars),
            sep.join(map(str, self.buget_units)), sep.join(map(str, self.duration)),
            sep.join(self.networkname), sep.join(self.networkcode), sep.join(self.marketname),
            sep.join(map(str, self.syscode_inclusions)),
        ]


@dataclass
class LineRules:
    """Configurable parts of the delivery rules.

    :param allowed_durations: permitted ``spot_length``/``duration`` values in seconds
        (the API's "In seconds (15,30,60)").
    :param regional_syscodes: regional syscode -> its local syscodes. A line that targets
        a regional syscode and carries no ``syscode_inclusions`` gets them from here (and
        the build reports how many lines were completed so); inclusions that name a
        syscode which is not local to any of the line's regional syscodes are an error.
    """

    allowed_durations: tuple[int, ...] = DEFAULT_DURATIONS
    regional_syscodes: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def make(cls, allowed_durations: Iterable[int] | None = None,
             regional_syscodes: Mapping[Any, Any] | None = None) -> LineRules:
        regional: dict[int, tuple[int, ...]] = {}
        for reg, locals_ in (regional_syscodes or {}).items():
            if isinstance(locals_, str):
                locals_ = [p for p in locals_.split(ARRAY_SEPARATOR) if p.strip()]
            try:
                regional[int(reg)] = tuple(int(x) for x in locals_)
            except (TypeError, ValueError):
                raise ValueError(f"regional_syscodes: {reg!r} -> {locals_!r} must map integers to integers") \
                    from None
        durations = tuple(int(d) for d in allowed_durations) if allowed_durations else DEFAULT_DURATIONS
        return cls(durations, regional)
