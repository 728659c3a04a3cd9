"""The iSpot TV-conversion file schema and the rules a file is checked against.

Source: iSpot "TV Conversions - Upload Data via API" (``ispot-tv-conversions-upload.txt``),
sections "CSV File Format", "Upload Requirements" and "Available Dimensions".

* Columns (table "Available Dimensions"): ``ip``, ``useragent``, ``datetime``, ``siteid``,
  ``app``, ``type`` (required), ``customdata`` (optional), ``passthru`` (required while
  testing: "Static value 1 (used only for validation purposes during testing)"); "Other
  available Dimensions: orderid, amount, sku, customertype, channel" (optional).
* "Headers are case-sensitive."
* The 400 answer "The content is not valid" names the mandatory headers
  ``LATEST_IPADDRESS, SITE_ID, TIME_STAMP``; the table's lower-case names are the default
  here and :attr:`ConversionRules.column_mapping` maps any other names onto them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from airflow_provider_adtech.formats.errors import Problem

#: the table's columns, in the table's order
COLUMNS = ("ip", "useragent", "datetime", "siteid", "app", "type", "customdata", "passthru")
#: "Other available Dimensions: (These dimensions are only available via custom reporting.)"
EXTRA_COLUMNS = ("orderid", "amount", "sku", "customertype", "channel")
KNOWN_COLUMNS = COLUMNS + EXTRA_COLUMNS
#: "Required: Yes" in the table (``passthru`` is handled by :attr:`ConversionRules.passthru`)
REQUIRED_COLUMNS = ("ip", "useragent", "datetime", "siteid", "app", "type")
#: ``app``: "Type of device where the event happened (values: "app" or "web")"
APP_VALUES = ("app", "web")
#: ``passthru``: "Static value 1"
PASSTHRU_VALUE = "1"
#: ``siteid`` sample value "TC-####-#" ("Provided by Customer Success")
DEFAULT_SITEID_PATTERN = r"TC-\d{4}-\d"
#: ``datetime``: "Datetime of the event formatted as a 24 hr UTC timestamp", "YYYY-MM-DD hh:mm:ss"
DATETIME_LAYOUT = "YYYY-MM-DD hh:mm:ss"

#: "Compressed files must be under 200MB each" / "The maximum file size allowed is 200 MB".
#: Read as 200,000,000 bytes, the smaller of the decimal and binary readings.
MAX_PART_BYTES = 200_000_000
#: "The minimum file size allowed is 8 MB." Read as 8 MiB, the larger reading.
MIN_PART_BYTES = 8 * 1024 * 1024
#: "Any data containing dates older than the past 12 days will have to be reprocessed
#: incrementally and will incur a daily cost for each day that needs to be reprocessed."
REPROCESSING_AFTER_DAYS = 12

#: names seen in iSpot's own material, with the schema column they mean
KNOWN_ALIASES = {"LATEST_IPADDRESS": "ip", "SITE_ID": "siteid", "TIME_STAMP": "datetime"}

DOC_HEADERS_CASE = 'document: "Headers are case-sensitive."'
DOC_QUOTED = 'document: "All values (except for headers) enclosed in doublequotes."'
DOC_UTF8 = 'document: "CSV UTF-8 (Comma delimited)"'
DOC_COMMA = 'document: "CSV UTF-8 (Comma delimited)", "Comma separated"'


@dataclass(frozen=True)
class ConversionRules:
    """What a conversion file is checked against, and how it is rewritten.

    :param dates: the UTC days rows may fall on (document: "Files should contain data for
        the previous day only and the event expressed as a UTC timestamp"). The operator
        passes the days of the run's data interval.
    :param refused_dates: days among ``dates`` that iSpot would charge to reprocess (older
        than 12 days); rows on them are refused with their own rule.
    :param passthru: test phase (document steps 5-7): every row carries ``passthru`` = 1,
        added when the source lacks it. ``False`` after iSpot approved the schema (step 8:
        "files can be delivered daily, dropping the passthru column"): the column is dropped.
    :param column_mapping: source column name -> schema column name, e.g.
        ``{"LATEST_IPADDRESS": "ip", "SITE_ID": "siteid", "TIME_STAMP": "datetime"}``.
    :param ignore_columns: source columns to leave out of the upload (reported, never silent).
    :param site_id: fills ``siteid`` for sources that have no such column.
    :param allow_ipv6: accept IPv6 addresses in ``ip`` (with a warning: "Use IPv4 if you want
        to match conversions to a Household").
    :param siteid_pattern: regular expression a ``siteid`` must match in full.
    :param normalize: rewrite accepted input into the exact format (every value quoted,
        UTF-8 without BOM, ``\\n`` line ends, passthru added or dropped, columns renamed).
        ``False``: files must already be compliant byte for byte; they are only split.
    :param max_problems: problems listed in full; the rest are counted.
    """

    dates: tuple[dt.date, ...]
    refused_dates: tuple[dt.date, ...] = ()
    passthru: bool = True
    column_mapping: Mapping[str, str] = field(default_factory=dict)
    ignore_columns: tuple[str, ...] = ()
    site_id: str | None = None
    allow_ipv6: bool = False
    siteid_pattern: str = DEFAULT_SITEID_PATTERN
    normalize: bool = True
    max_problems: int = 50

    def __post_init__(self) -> None:
        if not self.dates:
            raise ValueError("ConversionRules.dates must name at least one day")
        if len(set(self.dates)) > 400:
            raise ValueError("ConversionRules.dates may span at most 400 days")
        object.__setattr__(self, "dates", tuple(sorted(set(self.dates))))
        object.__setattr__(self, "refused_dates", tuple(sorted(set(self.refused_dates) & set(self.dates))))
        object.__setattr__(self, "column_mapping", dict(self.column_mapping or {}))
        object.__setattr__(self, "ignore_columns", tuple(self.ignore_columns or ()))
        for src, dst in self.column_mapping.items():
            if dst not in KNOWN_COLUMNS:
                raise ValueError(
                    f"column_mapping maps {src!r} to {dst!r}, which is not an iSpot column; "
                    f"known columns: {', '.join(KNOWN_COLUMNS)}"
                )
        try:
            rx = re.compile(self.siteid_pattern)
        except re.error as exc:
            raise ValueError(f"siteid_pattern {self.siteid_pattern!r} is not a regular expression: {exc}")
        if self.site_id is not None and not rx.fullmatch(self.site_id):
            raise ValueError(f"site_id {self.site_id!r} does not match {self.siteid_pattern!r} "
                             '(document: siteid "TC-####-#", provided by Customer Success)')
        if not self.normalize and (self.column_mapping or self.ignore_columns or self.site_id):
            raise ValueError("column_mapping, ignore_columns and site_id rewrite the file; "
                             "they need normalize=True")

    @property
    def accepted_dates(self) -> tuple[dt.date, ...]:
        refused = set(self.refused_dates)
        return tuple(d for d in self.dates if d not in refused)


@dataclass
class Layout:
    """How one source's columns become the uploaded columns.

    ``keep`` lists the source column indexes written, in output order; ``suffix`` holds
    constant columns appended to every row (``siteid`` filled from ``site_id``, ``passthru``
    added for test uploads).
    """

    source: str
    names: list[str]
    targets: list[str | None]
    keep: list[int]
    out_columns: list[str]
    suffix: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)
    ok: bool = True

    @property
    def width(self) -> int:
        return len(self.names)

    def label(self, index: int) -> str:
        """Column label for messages: the schema name, with the source's name when mapped."""
        name = self.names[index]
        target = self.targets[index]
        if target is None or target == name:
            return name
        return f"{name} ({target})"

    def index_of(self, target: str) -> int | None:
        for i, t in enumerate(self.targets):
            if t == target:
                return i
        return None

    @property
    def fast_kind(self) -> str | None:
        """Whether rows can be copied as bytes: ``keep`` is every column, or every column but
        a trailing ``passthru`` (dropped after approval)."""
        n = self.width
        if self.keep == list(range(n)):
            return "all"
        if (self.keep == list(range(n - 1)) and self.targets[-1] == "passthru" and not self.suffix):
            return "drop_last_passthru"
        return None

    def header_bytes(self) -> bytes:
        """The uploaded header row: names unquoted, as in the document's example."""
        return (",".join(self.out_columns) + "\n").encode("utf-8")

    def suffix_text(self) -> str:
        return "".join(f',"{v}"' for _, v in self.suffix)


def _suggest(name: str) -> str | None:
    low = name.strip().lower()
    for col in KNOWN_COLUMNS:
        if col == low:
            return col
    return None


def resolve_header(
    names: Sequence[str],
    rules: ConversionRules,
    source: str,
    first: Layout | None = None,
    line: int = 1,
) -> tuple[Layout, list[Problem]]:
    """Map a source header onto the schema; return the layout and the header's problems.

    :param first: the first source's layout; later sources must end in the same columns.
    """
    problems: list[Problem] = []
    mapping = rules.column_mapping
    ignore = set(rules.ignore_columns)
    targets: list[str | None] = []
    notes: list[str] = []

    def add(rule: str, message: str, column: str | None) -> None:
        problems.append(Problem(rule, message, source, line, column))

    for name in names:
        if name in ignore:
            targets.append(None)
            continue
        if name in mapping:
            targets.append(mapping[name])
            continue
        if name in KNOWN_COLUMNS:
            targets.append(name)
            continue
        targets.append(None)
        guess = _suggest(name)
        if name == "":
            add("ispot.header.empty", "a header name is empty; every column needs one of the schema's names",
                f"#{len(targets)}")
        elif guess is not None and guess != name.strip():
            add("ispot.header.case",
                f"header {name!r} is not {guess!r}: iSpot headers are case-sensitive ({DOC_HEADERS_CASE}); "
                f"rename it or map it with column_mapping={{{name!r}: {guess!r}}}", name)
        elif guess is not None:
            add("ispot.header.whitespace",
                f"header {name!r} has surrounding spaces; iSpot expects exactly {guess!r}", name)
        elif name in KNOWN_ALIASES:
            add("ispot.header.unmapped",
                f"header {name!r} is not in the column table; if it holds {KNOWN_ALIASES[name]!r}, map it "
                f"with column_mapping={{{name!r}: {KNOWN_ALIASES[name]!r}}}", name)
        else:
            add("ispot.header.unknown",
                f"header {name!r} is not an iSpot column (known: {', '.join(KNOWN_COLUMNS)}); map it with "
                "column_mapping or leave it out with ignore_columns", name)

    if names and not any(targets):
        joined = ",".join(names)
        delimiter = next((d for d in (";", "\t", "|") if d in joined), None)
        hint = (f"; it looks delimited by {delimiter!r}: iSpot takes comma-delimited CSV ({DOC_COMMA})"
                if delimiter else "; map your names with column_mapping")
        problems.insert(0, Problem(
            "ispot.header.no_known_column",
            f"none of the {len(names)} header name(s) is an iSpot column, so no row can be checked "
            f"(header: {joined[:80]!r}){hint}", source, line, None))

    seen: dict[str, int] = {}
    for i, t in enumerate(targets):
        if t is None:
            continue
        if t in seen:
            add("ispot.header.duplicate",
                f"column {t!r} appears twice (source columns {names[seen[t]]!r} and {names[i]!r})", names[i])
        else:
            seen[t] = i

    suffix: list[tuple[str, str]] = []
    for col in REQUIRED_COLUMNS:
        if col in seen:
            continue
        if col == "siteid" and rules.site_id is not None:
            suffix.append(("siteid", rules.site_id))
            notes.append(f"siteid filled with {rules.site_id!r} (site_id option)")
            continue
        hint = " or pass site_id=" if col == "siteid" else ""
        add("ispot.header.missing",
            f"required column {col!r} is missing (document, Available Dimensions: Required \"Yes\"); "
            f"map your column with column_mapping={{'<your name>': {col!r}}}{hint}", col)
    if "siteid" in seen and rules.site_id is not None:
        notes.append("site_id option not used: the source has its own siteid column")

    keep = [i for i, t in enumerate(targets)
            if t is not None and not (t == "passthru" and not rules.passthru)]
    # drop repeated targets from the output (already reported)
    keep = [i for i in keep if seen.get(targets[i]) == i]
    if rules.passthru and "passthru" not in seen:
        if rules.normalize:
            suffix.append(("passthru", PASSTHRU_VALUE))
            notes.append('passthru column added with value "1" (test upload, document step 5)')
        else:
            add("ispot.passthru.missing",
                'test uploads carry the passthru column with value "1" (document step 5: "Post your file(s) '
                'with passthru column"); add it, or pass passthru=False once iSpot approved the schema',
                "passthru")
    if not rules.passthru and "passthru" in seen:
        if rules.normalize:
            notes.append("passthru column dropped (approved schema, document step 8)")
        else:
            add("ispot.passthru.present",
                'after approval files are "delivered daily, dropping the passthru column" (document step 8); '
                "remove it, or pass passthru=True while testing", "passthru")
    ignored = [n for n in names if n in ignore]
    if ignored:
        notes.append(f"columns left out (ignore_columns): {', '.join(ignored)}")
    renamed = {n: t for n, t in zip(names, targets) if t is not None and t != n}
    if renamed:
        notes.append("columns renamed: " + ", ".join(f"{k} -> {v}" for k, v in renamed.items()))

    out_columns = [targets[i] for i in keep] + [name for name, _ in suffix]  # type: ignore[misc]
    layout = Layout(source, list(names), targets, keep, out_columns, suffix, notes)

    if first is not None and not problems:
        same_suffix = [n for n, _ in suffix] == [n for n, _ in first.suffix]
        if set(out_columns) != set(first.out_columns) or not same_suffix:
            add("ispot.header.mismatch",
                f"columns differ from the first source {first.source!r}: {', '.join(out_columns)} "
                f"instead of {', '.join(first.out_columns)}; every source of one upload needs the same "
                "columns",
                None)
        else:
            by_target = {targets[i]: i for i in keep}
            layout.keep = [by_target[c] for c in first.out_columns[: len(first.out_columns) - len(suffix)]]
            layout.out_columns = list(first.out_columns)
    layout.ok = not problems
    return layout, problems
