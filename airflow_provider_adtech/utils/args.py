"""Coercion of task arguments as templates render them: flags, numbers, days, lists, mappings, records.

Rendered templates turn every value into text (``"False"``, ``"200000000"``,
``"2026-11-20"``, ``"a,b"``) unless the DAG renders native objects; these functions accept
both forms. Each takes the argument's name and puts it in its error, a ``ValueError``.
Pure Python: no Airflow import.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

#: spellings of a true / false flag (compared lower-cased, without surrounding spaces)
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "", "none")


def as_bool(value: Any, name: str, *, strict: bool = True) -> bool:
    """A flag from a bool or its text (``TRUE_WORDS``/``FALSE_WORDS``).

    ``strict``: any other text is an error. Not strict: text that is not a true word is
    false, and other values are taken by their truth (``None`` is false).
    """
    if isinstance(value, bool):
        return value
    if not strict and not isinstance(value, str):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS or not strict:
        return False
    raise ValueError(f"{name} must be true or false, got {value!r}")


def as_int(value: Any, name: str, *, unit: str = "", minimum: int | None = None) -> int:
    """A whole number from an int, a whole float or its text; ``unit`` words the error
    (``"bytes"``: "must be a whole number of bytes"), ``minimum`` is the least accepted."""
    try:
        if isinstance(value, int):
            out = value
        elif isinstance(value, float) and value.is_integer():
            out = int(value)
        else:
            out = int(str(value).strip())
    except ValueError:
        of = f" of {unit}" if unit else ""
        raise ValueError(f"{name} must be a whole number{of}, got {value!r}") from None
    if minimum is not None and out < minimum:
        if minimum == 0:
            raise ValueError(f"{name} must not be negative, got {value!r}")
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return out


def as_day(value: Any, name: str, *, strict: bool = False) -> dt.date:
    """A date from a ``date``, a ``datetime`` or an ISO text (``YYYY-MM-DD``, or a timestamp
    as ``{{ data_interval_start }}`` renders, of which the date is kept).

    Not strict, the first ten characters must be a date. ``strict``: a timestamp's time
    must be valid too (``T`` or a space after the date, an optional ``Z``).
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if strict and (len(text) < 10 or (len(text) > 10 and text[10] not in "T ")):
            raise ValueError(text)
        if strict and len(text) > 10:
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{name} is not a date (expected YYYY-MM-DD): {value!r}") from None


def as_days(value: Any, name: str, *, strict: bool = False) -> list[dt.date] | None:
    """Days from ``"YYYY-MM-DD..YYYY-MM-DD"`` (inclusive), ``"d1,d2"``, a list or one date;
    sorted, each once. ``None`` when the value is empty (the caller's default applies).

    ``strict``: each day as :func:`as_day` takes it strictly, and a text's days may also be
    separated by white space (a timestamp then needs its ``T``).
    """
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str) and ".." in value:
        first, _, last = value.strip().partition("..")
        start, end = as_day(first, name, strict=strict), as_day(last, name, strict=strict)
        if end < start:
            raise ValueError(f"{name} {value!r} ends before it starts")
        return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if isinstance(value, (dt.date, dt.datetime)):
        return [as_day(value, name)]
    if isinstance(value, str):
        items: list[Any] = value.replace(",", " ").split() if strict else value.split(",")
    else:
        items = list(value)
    return sorted({as_day(x, name, strict=strict) for x in items if str(x).strip()})


def data_day(context: Any) -> dt.date:
    """The day a run is about: the start of its data interval (UTC), else its logical date.

    For a daily DAG this is "yesterday" when the run happens, the day the vendors
    expect to be reported. Without either (no run context): yesterday, UTC.
    """
    for key in ("data_interval_start", "logical_date"):
        val = context.get(key) if context else None
        if val is not None:
            if isinstance(val, dt.datetime):
                if val.tzinfo is not None:
                    val = val.astimezone(dt.timezone.utc)
                return val.date()
            if isinstance(val, dt.date):
                return val
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).date()


def interval_days(context: Any) -> list[dt.date]:
    """Every day (UTC) the run's data interval touches; empty without an interval."""
    start = context.get("data_interval_start") if context else None
    end = context.get("data_interval_end") if context else None
    if not (isinstance(start, dt.datetime) and isinstance(end, dt.datetime) and end > start):
        return []
    first = (start.astimezone(dt.timezone.utc) if start.tzinfo else start).date()
    last = ((end.astimezone(dt.timezone.utc) if end.tzinfo else end) - dt.timedelta(microseconds=1)).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def as_list(value: Any, name: str) -> list[str]:
    """Strings from a list or a comma-separated text (items stripped, empty ones dropped)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (int, float)):
        return [str(value)]
    if not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a list or a comma-separated text, got {value!r}")
    return [str(v).strip() for v in value if str(v).strip()]


def as_mapping(value: Any, name: str) -> dict[Any, Any]:
    """A dict from a mapping or its JSON text; empty for ``None`` or blank text."""
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"{name} is not valid JSON: {exc}") from None
    try:
        return dict(value or {})
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a mapping (or its JSON text), got {value!r}") from None


def as_iterable(value: Any, name: str, items: str) -> Iterable[Any]:
    """``value`` itself when it is an iterable of records, not a text or a single mapping."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be an iterable of {items}")
    return value


def as_records(value: Any, name: str = "rows") -> list[Any]:
    """Records handed to a task: a list (e.g. ``task.output``), or a rendered text of one.

    Without ``render_template_as_native_obj`` Airflow renders an XCom list into its text;
    that text is read back as JSON or as a Python literal. A single mapping is refused:
    a list of records is expected.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text)
        except ValueError:
            import ast

            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise ValueError(f"{name} is a string that is neither JSON nor a Python literal; pass the "
                                 f"upstream task's output ({name}=task.output) or set "
                                 "render_template_as_native_obj=True on the DAG") from None
    if isinstance(value, Mapping):
        raise ValueError(f"{name} must be a list of records (mappings), got a single mapping")
    return list(value)


def as_id(value: Any) -> Any:
    """An id as an integer where a vendor sends digit strings (``"id": "537599"``), else as given."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value
