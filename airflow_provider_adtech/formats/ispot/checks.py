"""Value rules of the iSpot conversion columns, in three equivalent forms.

* :meth:`ValueChecks.check`: one value at a time, with the rule and an explanation
  (used to report problems).
* :meth:`ValueChecks.row_regex`: one compiled bytes pattern that accepts a run of rows
  that already are exactly compliant (every value quoted, no line break inside values),
  so that well-formed input is validated block by block in C.
* :meth:`ValueChecks.batch_ok`: column-wise checks of parsed rows (``csv.reader``
  output), also executed in C (``str.join`` + one pattern per column, set look-ups).

The fast forms only ever say "all fine"; whenever they do not, the rows are checked
again one by one with :meth:`check`, which names every problem.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Sequence
from operator import itemgetter

from airflow_provider_adtech.formats.ispot.schema import (
    APP_VALUES,
    DATETIME_LAYOUT,
    PASSTHRU_VALUE,
    REPROCESSING_AFTER_DAYS,
    ConversionRules,
    Layout,
)

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4_PATTERN = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"
IPV4_RX = re.compile(IPV4_PATTERN, re.ASCII)
DATETIME_SHAPE_RX = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)

#: the fast form takes values without double quotes, NUL bytes and line breaks; others
#: (quotes are legal when escaped) are checked row by row
_FREE = rb'[^"\x00\r\n]*+'
#: ``useragent`` and ``type``: text with at least one visible character and no control
#: character (a tab is allowed: RFC 9110 field values, which a User-Agent is, may hold one)
_TEXT_NONBLANK = rb'[ \t]*+[^"\x00-\x20\x7f][^"\x00-\x08\x0a-\x1f\x7f]*+'
_TEXT_NONBLANK_STR = r'[ \t]*+[^\x00-\x20\x7f][^\x00-\x08\x0a-\x1f\x7f]*+'
#: the loose forms of :meth:`ValueChecks.row_regex` (see :meth:`ValueChecks.shape_ok`)
_LOOSE = rb'[^"]*+'
_LOOSE_NONBLANK = rb'[ \t]*+[^"\x00-\x20\x7f][^"]*+'
#: every byte but the double quote, line ends and control characters other than tab
_SHAPE_DELETE = bytes(b for b in range(256) if not (b == 0x22 or b < 0x20 and b != 0x09 or b == 0x7f))
#: control characters other than tab, line feed and carriage return (reported by their own rule)
_CONTROL_RX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: document, "CSV File Format": "Rows are newline separated."
DOC_ROWS = 'document: "Rows are newline separated."'
#: what the document says of the two free-text columns that are required
DOC_TEXT = {
    "useragent": 'useragent "Client useragent" (an HTTP User-Agent value: visible text, no control '
                 "characters), Required \"Yes\"",
    "type": 'type "Description of a Web/App event or user action", Required "Yes"',
}

#: marker returned by :meth:`ValueChecks.check` for an accepted IPv6 address
IPV6_ACCEPTED = ("ispot.ip.ipv6", "")


def _short(value: str, n: int = 60) -> str:
    return repr(value if len(value) <= n else value[:n] + "...")


class ValueChecks:
    """The per-column rules of one upload (dates, site id pattern, IPv6 policy)."""

    def __init__(self, rules: ConversionRules):
        self.rules = rules
        self.siteid_rx = re.compile(rules.siteid_pattern)
        self.accepted = {d.isoformat() for d in rules.accepted_dates}
        self.refused = {d.isoformat() for d in rules.refused_dates}
        self.passthru = rules.passthru
        dates = sorted(self.accepted)
        date_alt = "|".join(re.escape(d) for d in dates) if dates else r"(?!)"
        self.datetime_pattern = rf"(?:{date_alt}) {_TIME}"
        self._col_rx: dict[str, re.Pattern[str]] = {}
        for name, pat in (("ip", IPV4_PATTERN), ("datetime", self.datetime_pattern)):
            self._col_rx[name] = re.compile(rf"(?:{pat}\n)*+", re.ASCII)

    # ------------------------------------------------------------------ one value
    def check(self, target: str, value: str) -> tuple[str, str] | None:
        """``(rule, message)`` when ``value`` breaks a rule of column ``target``, else None."""
        if "\x00" in value:
            return ("ispot.value.nul",
                    f"{_short(value)} holds a NUL byte (0x00): not text (document: \"CSV UTF-8\"); remove it "
                    "at the source")
        if "\n" in value or "\r" in value:
            return ("ispot.value.line_break",
                    f"{_short(value)} holds a line break inside the value; {DOC_ROWS} A row may not "
                    "span lines: remove the line break at the source")
        if target == "ip":
            if IPV4_RX.fullmatch(value):
                return None
            try:
                ipaddress.IPv6Address(value)
                is_v6 = True
            except ValueError:
                is_v6 = False
            if is_v6:
                if self.rules.allow_ipv6:
                    return IPV6_ACCEPTED
                return ("ispot.ip.ipv6",
                        f"{_short(value)} is an IPv6 address; iSpot matches households by IPv4 (document: "
                        '"Use IPv4 if you want to match conversions to a Household"); pass allow_ipv6=True '
                        "to send IPv6 addresses anyway")
            if not value:
                return ("ispot.value.required",
                        'ip is required (document: "Client IPv4 Address", Required "Yes")')
            return ("ispot.ip.ipv4",
                    f"{_short(value)} is not a valid IPv4 address (document: ip \"Client IPv4 Address\", "
                    "e.g. 66.87.152.32)")
        if target == "datetime":
            if not value:
                return ("ispot.value.required", "datetime is required")
            if not DATETIME_SHAPE_RX.fullmatch(value):
                return ("ispot.datetime.format",
                        f"{_short(value)} is not formatted {DATETIME_LAYOUT} (document: \"Datetime of the "
                        'event formatted as a 24 hr UTC timestamp"), e.g. 2021-01-31 17:30:56')
            try:
                dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
            except ValueError:
                return ("ispot.datetime.format",
                        f"{_short(value)} is not a real date and time ({DATETIME_LAYOUT})")
            day = value[:10]
            if day in self.accepted:
                return None
            if day in self.refused:
                return ("ispot.datetime.reprocessing",
                        f"{value} is older than {REPROCESSING_AFTER_DAYS} days; iSpot reprocesses such days "
                        'incrementally "and will incur a daily cost for each day" (document, Upload '
                        "Requirements 4); pass allow_reprocessing=True after aligning with your Customer "
                        "Success representative")
            return ("ispot.datetime.outside_range",
                    f"{value} is outside the data day(s) of this upload ({self.describe_dates()}); document: "
                    '"Files should contain data for the previous day only"')
        if target == "siteid":
            if not value:
                return ("ispot.value.required", "siteid is required (provided by Customer Success)")
            if self.siteid_rx.fullmatch(value):
                return None
            return ("ispot.siteid.format",
                    f"{_short(value)} does not match {self.rules.siteid_pattern!r} (document: siteid "
                    '"Unique identifier (Provided by Customer Success)", sample "TC-####-#")')
        if target == "app":
            if value in APP_VALUES:
                return None
            return ("ispot.app.value",
                    f'{_short(value)} is not "app" or "web" (document: app "Type of device where the event '
                    'happened (values: "app" or "web")"; values are lower case)')
        if target in ("useragent", "type"):
            if not value:
                return ("ispot.value.required",
                        f'{target} is required (document, Available Dimensions: Required "Yes")')
            if not value.strip(" \t"):
                return (f"ispot.{target}.blank",
                        f"{_short(value)} holds only spaces; document: {DOC_TEXT[target]}")
            bad = _CONTROL_RX.search(value)
            if bad:
                return (f"ispot.{target}.control",
                        f"{_short(value)} holds the control character 0x{ord(bad.group()):02x}; "
                        f"document: {DOC_TEXT[target]}")
            return None
        if target == "passthru" and self.passthru:
            if value == PASSTHRU_VALUE:
                return None
            return ("ispot.passthru.value",
                    'passthru must be "1" while testing (document: "Static value 1 (used only for '
                    f'validation purposes during testing)"), got {_short(value)}')
        return None

    def describe_dates(self) -> str:
        days = self.rules.dates
        if len(days) == 1:
            return days[0].isoformat()
        return f"{days[0].isoformat()} to {days[-1].isoformat()}"

    # ------------------------------------------------------------------ bytes fast path
    def value_pattern(self, target: str | None) -> bytes:
        if target == "ip":
            return IPV4_PATTERN.encode()
        if target == "datetime":
            return self.datetime_pattern.encode()
        if target == "siteid":
            return b"(?:" + self.rules.siteid_pattern.encode() + b")"
        if target == "app":
            return b"(?:" + b"|".join(v.encode() for v in APP_VALUES) + b")"
        if target == "passthru":
            return PASSTHRU_VALUE.encode()
        if target in ("useragent", "type"):
            return _TEXT_NONBLANK
        return _FREE

    def row_regex(self, layout: Layout, crlf: bool = False, loose: bool = False) -> re.Pattern[bytes] | None:
        """A pattern matching any run of compliant rows of ``layout`` (``match(...).end()``
        is where the first row it does not accept starts), or None when the layout has no
        fast form. ``crlf``: rows end with ``\\r\\n`` instead of ``\\n``.

        ``loose``: the free-text columns (``useragent``, ``type``, ``customdata``, others)
        are matched by "anything but a double quote" (about twice as fast in ``re`` as a
        character class), so line breaks and control characters inside them pass; a run it
        accepts is compliant when :meth:`shape_ok` also holds for it."""
        if layout.fast_kind is None or not layout.ok:
            return None
        parts = []
        for i, target in enumerate(layout.targets):
            if target == "passthru" and not self.passthru:
                # dropped; the fast path drops it only when it is literally "1"
                parts.append(b'"' + PASSTHRU_VALUE.encode() + b'"')
            elif loose and target in ("useragent", "type"):
                parts.append(b'"' + _LOOSE_NONBLANK + b'"')
            elif loose and target not in ("ip", "datetime", "siteid", "app", "passthru"):
                parts.append(b'"' + _LOOSE + b'"')
            else:
                parts.append(b'"' + self.value_pattern(target) + b'"')
        row = b",".join(parts) + (b"\r\n" if crlf else b"\n")
        return re.compile(b"(?:" + row + b")*+")

    @staticmethod
    def shape_ok(chunk: bytes, width: int, crlf: bool = False) -> bool:
        """Whether every line of ``chunk`` holds exactly ``2 * width`` double quotes, no control
        character but tab, and no carriage return but before its line feed (``crlf``).

        Together with the loose row pattern this is the exact rule set: the pattern fixes where
        the quotes are, this fixes that each row is one line. One pass in C (``bytes.translate``
        keeps only quotes, line ends and control characters)."""
        rest = chunk.translate(None, _SHAPE_DELETE)
        row = b'"' * (2 * width) + (b"\r\n" if crlf else b"\n")
        rows = chunk.count(b"\n")
        return len(rest) == rows * len(row) and rest == row * rows

    # ------------------------------------------------------------------ column-wise checks of parsed rows
    def batch_checker(self, layout: Layout) -> Callable[[Sequence[Sequence[str]]], bool]:
        """A function telling whether every row of a batch is compliant (True) or not (False:
        check the rows one by one to find out why)."""
        width = layout.width
        tests: list[Callable[[Sequence[Sequence[str]]], bool]] = []
        text_rx = re.compile(rf"(?:{_TEXT_NONBLANK_STR}\n)*+")
        for i, target in enumerate(layout.targets):
            if target is None or i not in layout.keep:
                continue
            get = itemgetter(i)

            def plain_ok(rows, get=get):
                text = "".join(map(get, rows))
                return "\x00" not in text and "\n" not in text and "\r" not in text

            tests.append(plain_ok)
            if target in ("ip", "datetime"):
                rx = self._col_rx[target]

                def joined_ok(rows, get=get, rx=rx):
                    text = "\n".join(map(get, rows)) + "\n"
                    m = rx.match(text)
                    return m.end() == len(text) and text.count("\n") == len(rows)

                tests.append(joined_ok)
            elif target == "siteid":
                full = self.siteid_rx.fullmatch

                def siteid_ok(rows, get=get, full=full):
                    return all(full(v) for v in set(map(get, rows)))

                tests.append(siteid_ok)
            elif target == "app":
                allowed = frozenset(APP_VALUES)

                def app_ok(rows, get=get, allowed=allowed):
                    return set(map(get, rows)) <= allowed

                tests.append(app_ok)
            elif target == "passthru" and self.passthru:

                def passthru_ok(rows, get=get):
                    return set(map(get, rows)) == {PASSTHRU_VALUE}

                tests.append(passthru_ok)
            elif target in ("useragent", "type"):

                def text_ok(rows, get=get):
                    text = "\n".join(map(get, rows)) + "\n"
                    return text_rx.match(text).end() == len(text)

                tests.append(text_ok)

        def batch_ok(rows: Sequence[Sequence[str]]) -> bool:
            if set(map(len, rows)) != {width}:
                return False
            return all(t(rows) for t in tests)

        return batch_ok
