"""IQM answers: envelope error text, rows and counts of list answers, and the errors of calls.

The errors: partly refused changes, outcome unknown, incomplete lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow_provider_adtech.exceptions import VendorApiError, VendorNoAnswer, VendorOutcomeUnknown
from airflow_provider_adtech.hooks._http import UNKNOWN_OUTCOME

#: "at most 1000 rows a page"
MAX_PAGE_SIZE = 1000

#: keys under which the guide's list answers carry their rows, in order of preference
ROW_KEYS = ("data", "ioBasicDetailsList", "ioCampaignsList", "recordsList", "campaignGroupList", "list",
            "records")
#: keys that carry a row count (``recordsTotal`` is an object of totals on ``/io/campaigns/list``)
COUNT_KEYS = ("filteredRecords", "recordsFiltered", "totalRecords", "recordsTotal", "totalCount")
#: counts of the rows that match the request's filters: preferred over the others, which the
#: document's samples show counting the whole workspace (``"totalRecords": 272`` beside
#: ``"filteredRecords": 4``)
FILTERED_COUNT_KEYS = ("filteredRecords", "recordsFiltered")

#: the hint of a call that is sent once and got no usable answer
NOT_REPEATED = UNKNOWN_OUTCOME


class IqmPartialFailure(VendorApiError, AirflowFailException):
    """IQM applied a change to some campaigns and refused it for others. Airflow does not retry
    the task: repeating it would apply additive changes twice to the campaigns that took them.

    ``failures``: ``[{"id", "campaignName", "errorMessage"}]`` as IQM gave them;
    ``applied``: the ``modified_data`` entries of the campaigns that were changed.
    """

    def __init__(self, vendor: str, endpoint: str, status: int | None, vendor_message: str = "",
                 hint: str = "", *, body: object | None = None, failures: list[dict] | None = None,
                 applied: list[dict] | None = None):
        self.failures = list(failures or [])
        self.applied = list(applied or [])
        super().__init__(vendor, endpoint, status, vendor_message, hint, body=body)


class IqmOutcomeUnknown(VendorOutcomeUnknown):
    """A call that is never repeated got no usable answer (connection dropped, no answer within
    the read timeout, or ``5xx``): IQM may or may not have applied it. Airflow does not retry
    the task, which would send the call again; check IQM before running it again."""


class IqmNoAnswer(IqmOutcomeUnknown, VendorNoAnswer):
    """:class:`IqmOutcomeUnknown` without any answer (connection dropped, read timeout)."""


@dataclass
class Page:
    """One page of a list answer: its rows, the largest row count it reports, the unwrapped payload."""

    rows: list[Any]
    total: int | None
    payload: Any
    #: the key the total was read from (for messages)
    total_key: str | None = None


def iqm_message(body: Any) -> str:
    """The error text of an IQM answer: every ``errorObjects`` entry (with its field), else the message."""
    if isinstance(body, dict):
        errs = body.get("errorObjects")
        if isinstance(errs, list) and errs:
            parts = []
            for e in errs[:20]:
                if isinstance(e, dict):
                    text = str(e.get("error") or e.get("message") or e.get("reason") or e)
                    fld = e.get("field")
                    parts.append(f"{fld}: {text}" if fld else text)
                else:
                    parts.append(str(e))
            return "; ".join(parts)
        for key in ("message", "error", "errorMessage", "reason"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
        if isinstance(body.get("responseObject"), dict):
            return iqm_message(body["responseObject"])
    return str(body)[:500] if body is not None else ""


def rows_and_total(payload: Any) -> tuple[list[Any], int | None]:
    """Rows and the row count of an unwrapped list answer, whatever its shape: the filtered
    count when the answer has one, else the largest count it reports."""
    rows, total, _key = _rows_total_key(payload)
    return rows, total


def _rows_total_key(payload: Any) -> tuple[list[Any], int | None, str | None]:
    if isinstance(payload, list):
        return payload, None, None
    if not isinstance(payload, dict):
        return [], None, None
    rows = None
    for key in ROW_KEYS:
        if isinstance(payload.get(key), list):
            rows = payload[key]
            break
    if rows is None:
        rows = next((v for v in payload.values() if isinstance(v, list)), [])
    counts = {k: payload[k] for k in COUNT_KEYS
              if isinstance(payload.get(k), int) and not isinstance(payload[k], bool)}
    for key in FILTERED_COUNT_KEYS:
        if key in counts:
            return rows, counts[key], key
    if not counts:
        return rows, None, None
    key = max(counts, key=lambda k: counts[k])
    return rows, counts[key], key


class IqmListIncomplete(VendorApiError):
    """A list walk got fewer rows than the total IQM reported: nothing is returned rather than a
    silently partial list. Reads are safe to repeat, so Airflow may retry the task."""


def campaign_label(campaign_id: Any, name: Any) -> str:
    """``campaign 42 (Spring)``, or ``campaign 42`` when IQM gave no name."""
    return f"campaign {campaign_id} ({name})" if name not in (None, "") else f"campaign {campaign_id}"


def refused_text(refused: int, sent: int | None, changed: int | None = None) -> str:
    """What a partly refused change did: all refused, or how many were refused and changed."""
    if sent is not None:
        if refused >= sent:
            return f"all {sent} campaign(s) were refused; none was changed"
        return f"{refused} of {sent} campaign(s) were refused; the other {sent - refused} were changed"
    if changed:
        return f"{refused} campaign(s) were refused; IQM reports {changed} changed"
    return f"{refused} campaign(s) were refused; IQM reports none changed"


def _id_text(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids)
