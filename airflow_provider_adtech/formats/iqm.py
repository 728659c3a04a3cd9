"""IQM campaign and insertion-order requests: the actions, their parameters and the
rules from IQM's Campaign API guide (``iqm-campaign-api.txt``) checked before any call.

Pure Python (no Airflow, no ``requests``). The operator hands every parameter to
:func:`validate_action`, which collects all problems at once and returns the
normalised values the hook sends; :func:`read_changes` checks a file of
per-campaign changes (JSON array or JSON Lines), naming file, line and field.

Units, as in the document's samples: campaign times are Unix epoch **seconds**
(``"endDate": 1632132540``, ``"startTime": 1726518001``); insertion-order times are
Unix epoch **milliseconds** (``"ioStartTime": 1690898148000``). Dates may also be
given as ISO strings; a plain date ``YYYY-MM-DD`` means the end of that day (UTC)
for an end date and its start for a start date. The epoch value sent is reported
back in the operator's summary, so the conversion is never silent.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector, ValidationFailed
from airflow_provider_adtech.formats.text import describe_control

#: "at most 1000 rows a page" (IQM limit on ``noOfEntries``)
MAX_PAGE_SIZE = 1000

#: ``totalBudgetUpdateType``: "change: Replace total budget with given value. addition: Add
#: budget to the current total budget. distribution: Distribute given total budget in selected
#: campaigns equally. Default value: change"
TOTAL_BUDGET_UPDATE_TYPES = ("change", "addition", "distribution")

#: ``budgetUpdateType`` of ``PATCH /api/v3/cmp/io/update-budget``: the document's sample sends
#: ``"add"``; ``"change"`` replaces the budget, as on the campaign endpoint.
IO_BUDGET_UPDATE_TYPES = ("add", "change")

#: campaign statuses named by ``POST /api/v3/cmp/campaigns/count``
CAMPAIGN_STATUSES = ("running", "pending", "paused", "deleted", "expired", "draft", "rejected")

#: properties of a campaign (the document's resource table and its ``GET`` sample), the
#: fields ``PATCH /api/v2/cmp/campaign/{campaignId}`` accepts
CAMPAIGN_FIELDS = frozenset("""
campaignName advertiserDomain creativeType campaignType totalBudgetPacing isTvAd budgetDay budgetTotal
maxBid timezone startTime endTime status dspMargin platformMargin userDealMargin spentScale creativeIds
conversionType conversionTypeId bidOptimization bidPacing isBidShading impressionCapping maxDayImpressions
maxDayClicks maxDayConversions totalImpressions totalClicks totalConversions deviceType trafficType exchanges
stateIds countryId isLocationWithOrFilter locationDetails campaignIabCategoryIds creativesPlacementMapping
conversionIds prebidAudienceSegmentIdList campaignTypeId budgetTypeId ioId
""".split())

#: properties of an insertion order (the document's IO resource table and samples)
IO_FIELDS = frozenset("""
ioName ioStartTime ioEndTime ioTotalBudget ioTimeZoneId isAutoSumIoTotalBudget ioBudgetDistributionMethodId
ioBudgetTypeId ioTotalImpression ioTotalImpressions ioStatusId ioStatusID ioNextPerformanceCheck
ioLastPriorityShift ioCurrentPriority isIoPrioritise isBudgetAutoSum
""".split())

#: "Required values" of ``POST /api/v3/cmp/io/add`` (ioTotalBudget only for a budget-based IO,
#: ioStatusId only for an impression-based IO)
IO_CREATE_REQUIRED = ("ioName", "ioStartTime", "ioEndTime", "ioTimeZoneId", "isAutoSumIoTotalBudget",
                      "ioBudgetTypeId", "ioBudgetDistributionMethodId")
#: ``ioBudgetTypeId`` of the document's "Sample Request (budget based IO)"
IO_BUDGET_TYPE_BUDGET = 1

#: paging keys the operator and hook manage themselves
PAGING_KEYS = frozenset({"pageNo", "noOfEntries", "offset", "pgno", "no_of_entries"})

# Unix-epoch magnitudes: seconds are ~1.7e9 today, milliseconds ~1.7e12.
_MS_THRESHOLD = 100_000_000_000


@dataclass(frozen=True)
class ActionSpec:
    """One operator action.

    :param name: the ``action`` value.
    :param endpoint: the IQM endpoint (documentation only).
    :param required: parameters that must be given.
    :param optional: parameters that may be given.
    :param one_of: at least one of these must be given.
    :param kind: ``read`` (one answer), ``list`` (every page walked) or ``write``.
    """

    name: str
    endpoint: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    kind: str = "read"

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset(self.required) | frozenset(self.optional) | frozenset(self.one_of)


_LIST_OPTS = ("filters", "page_size")

ACTIONS: dict[str, ActionSpec] = {s.name: s for s in [
    # --- campaigns
    ActionSpec("get_campaign", "GET /api/v2/cmp/campaign/{campaignId}", ("campaign_id",),
               ("is_spent_required",)),
    ActionSpec("get_campaigns_data", "GET /api/v2/cmp/campaigns/data", (), ("filters",), kind="list"),
    ActionSpec("list_campaigns", "GET /api/v2/cmp/campaigns/list", (), _LIST_OPTS, kind="list"),
    ActionSpec("get_budget_info", "GET /api/v2/cmp/campaign/budgetInfo", (), ("campaign_id", "filters")),
    ActionSpec("list_campaign_groups", "GET /api/v2/cmp/campaigngroup/campaign/list", (), _LIST_OPTS,
               kind="list"),
    ActionSpec("get_campaign_start", "GET /api/v2/cmp/campaign/start", (), ("campaign_id", "filters")),
    ActionSpec("update_name", "PATCH /api/v3/cmp/campaign/update-name/{campaignId}",
               ("campaign_id", "campaign_name"), kind="write"),
    ActionSpec("update_end_date", "PUT /api/v2/cmp/campaigns/update-end-date", ("campaign_ids", "end_time"),
               kind="write"),
    ActionSpec("update_budget", "PUT /api/v2/cmp/campaigns/update_budget", ("campaign_ids",),
               ("total_budget_update_type",), ("total_budget", "daily_budget", "max_bid"), kind="write"),
    ActionSpec("patch_campaign", "PATCH /api/v2/cmp/campaign/{campaignId}", ("campaign_id", "fields"),
               kind="write"),
    ActionSpec("count_by_status", "POST /api/v3/cmp/campaigns/count", (), ("filters",)),
    ActionSpec("apply_changes", "PUT update-end-date / PUT update_budget / PATCH update-name",
               ("changes_file",), kind="write"),
    # --- insertion orders
    ActionSpec("list_insertion_orders", "POST /api/v3/cmp/io/basic/list", (), _LIST_OPTS, kind="list"),
    ActionSpec("list_io_campaigns", "POST /api/v3/cmp/io/campaign/basic/list", (), _LIST_OPTS, kind="list"),
    ActionSpec("list_io_campaign_reports", "POST /api/v3/cmp/io/campaigns/list", (), _LIST_OPTS, kind="list"),
    ActionSpec("create_insertion_order", "POST /api/v3/cmp/io/add", ("fields",), kind="write"),
    ActionSpec("duplicate_insertion_order", "POST /api/v3/cmp/io/duplicate",
               ("io_id", "start_time", "end_time", "time_zone_id"), ("campaign_ids",), kind="write"),
    ActionSpec("delete_insertion_orders", "POST /api/v3/cmp/io/delete", ("io_ids",), kind="write"),
    ActionSpec("update_insertion_order", "PATCH /api/v3/cmp/io/{ioId}", ("io_id", "fields"), kind="write"),
    ActionSpec("update_io_end_date", "PATCH /api/v3/cmp/io/update-end-date", ("io_ids", "end_time"),
               kind="write"),
    ActionSpec("update_io_budget", "PATCH /api/v3/cmp/io/update-budget",
               ("io_ids", "budget", "budget_update_type"), kind="write"),
]}

#: every parameter an action can take (the operator's keyword arguments)
ALL_PARAMS = ("campaign_id", "campaign_ids", "campaign_name", "end_time", "start_time", "total_budget",
              "daily_budget", "max_bid", "total_budget_update_type", "fields", "filters", "io_id", "io_ids",
              "time_zone_id", "budget", "budget_update_type", "is_spent_required", "changes_file",
              "page_size")


def is_template(value: Any) -> bool:
    """A string Jinja will still render (so it cannot be judged at DAG-parse time)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _given(value: Any) -> bool:
    return value is not None


def check_action_at_parse(action: Any, params: Mapping[str, Any], source: str = "operator", *,
                          rendered: bool = False) -> list[Problem]:
    """Problems visible when the DAG is parsed: unknown action, missing or unused parameters.

    An action that is still a template is judged later (``rendered=True``, in :func:`validate_action`).
    """
    if is_template(action) and not rendered:
        return []
    out: list[Problem] = []
    spec = ACTIONS.get(str(action))
    if spec is None:
        out.append(Problem("iqm.action.unknown",
                           f"unknown action {action!r}; known actions: {', '.join(sorted(ACTIONS))}",
                           source, column="action"))
        return out
    for name in spec.required:
        if not _given(params.get(name)):
            out.append(Problem("iqm.param.missing", f"action {spec.name} needs {name} ({spec.endpoint})",
                               source, column=name))
    if spec.one_of and not any(_given(params.get(n)) for n in spec.one_of):
        out.append(Problem("iqm.param.missing",
                           f"action {spec.name} needs at least one of {', '.join(spec.one_of)}",
                           source, column=spec.one_of[0]))
    for name, value in params.items():
        if _given(value) and name not in spec.accepted:
            out.append(Problem("iqm.param.unused",
                               f"action {spec.name} does not use {name}; it would be ignored", source,
                               column=name))
    return out


# --------------------------------------------------------------------------- value checks
class _Checker:
    """Collects problems for one set of values (operator parameters, or one file record)."""

    def __init__(self, problems: ProblemCollector, source: str, line: int | None = None,
                 now: dt.datetime | None = None, notes: list[str] | None = None):
        self.problems = problems
        self.source = source
        self.line = line
        self.now = now or dt.datetime.now(dt.timezone.utc)
        #: every value sent in another form than given (text read as a number, a date as epoch)
        self.notes = notes if notes is not None else []

    def note(self, column: str, value: Any, sent: Any, detail: str = "") -> None:
        where = f"line {self.line}: " if self.line is not None else ""
        self.notes.append(f"{where}{column} {value!r} sent as {sent!r}{detail}")

    def name(self, value: Any, column: str) -> str | None:
        """A campaign name: non-empty text on one line; spaces around it are removed and noted."""
        if not isinstance(value, str) or not value.strip():
            self.add("iqm.campaign.name", f"{column} must be a non-empty text", column)
            return None
        what = describe_control(value)
        if what is not None:
            self.add("iqm.campaign.name.control", f"{column} holds {what}: a campaign name is one line of "
                     "text", column)
            return None
        if value.strip() != value:
            self.note(column, value, value.strip(), " (spaces around the name removed)")
        return value.strip()

    def add(self, rule: str, message: str, column: str | None) -> None:
        self.problems.add(Problem(rule, message, self.source, self.line, column))

    # -- ids
    def ids(self, value: Any, column: str, what: str = "id") -> list[int] | None:
        """One or more positive integer ids: an int, ``"1,2,3"``, ``"[1, 2]"`` or a list."""
        items: list[Any]
        if isinstance(value, bool):
            items = [value]
        elif isinstance(value, int):
            items = [value]
        elif isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    parsed = json.loads(text)
                except ValueError:
                    self.add("iqm.ids.format", f"{text!r} is not a JSON list of {what}s", column)
                    return None
                items = parsed if isinstance(parsed, list) else [parsed]
            else:
                items = [p.strip() for p in text.split(",")] if text else []
        elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
            items = list(value)
        else:
            self.add("iqm.ids.format", f"expected {what}s (integers), got {type(value).__name__}", column)
            return None
        if not items:
            self.add("iqm.param.required", f"no {what} given (empty list)", column)
            return None
        out: list[int] = []
        ok = True
        for pos, item in enumerate(items, 1):
            n = self._int(item)
            if n is None:
                self.add("iqm.ids.integer", f"{what} #{pos} {item!r} is not an integer", column)
                ok = False
            elif n <= 0:
                self.add("iqm.ids.positive", f"{what} #{pos} {item!r} must be a positive integer", column)
                ok = False
            else:
                out.append(n)
        seen: set[int] = set()
        for n in out:
            if n in seen:
                self.add("iqm.ids.duplicate", f"{what} {n} is listed more than once", column)
                ok = False
            seen.add(n)
        return out if ok else None

    def one_id(self, value: Any, column: str, what: str = "id") -> int | None:
        n = self._int(value)
        if n is None:
            self.add("iqm.ids.integer", f"{what} {value!r} is not an integer", column)
            return None
        if n <= 0:
            self.add("iqm.ids.positive", f"{what} {value!r} must be a positive integer", column)
            return None
        return n

    @staticmethod
    def _int(value: Any) -> int | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        return None

    # -- numbers
    def amount(self, value: Any, column: str, what: str) -> float | int | None:
        """A money amount or bid: a finite number greater than 0 (IQM budgets are positive)."""
        num: float | int | None = None
        if isinstance(value, bool):
            num = None
        elif isinstance(value, (int, float)):
            num = value
        elif isinstance(value, str):
            try:
                num = float(value.strip())
                if num.is_integer() and "." not in value and "e" not in value.lower():
                    num = int(num)
            except ValueError:
                num = None
            if num is not None and math.isfinite(num) and num > 0:
                self.note(column, value, num)
        if num is None or (isinstance(num, float) and not math.isfinite(num)):
            self.add("iqm.number.format", f"{what} {value!r} is not a number", column)
            return None
        if num < 0:
            self.add("iqm.budget.negative", f"{what} {value!r} is negative; it must be greater than 0",
                     column)
            return None
        if num == 0:
            self.add("iqm.budget.zero", f"{what} must be greater than 0", column)
            return None
        return num

    # -- times
    def epoch(self, value: Any, column: str, *, unit: str, end: bool, what: str,
              future: bool = False) -> int | None:
        """A Unix epoch in ``unit`` (``s`` or ``ms``) from an int, a digit string or an ISO date/time."""
        factor = 1000 if unit == "ms" else 1
        n = self._int(value)
        if n is not None:
            if n <= 0:
                self.add("iqm.date.format", f"{what} {value!r} is not a valid Unix timestamp", column)
                return None
            if unit == "s" and n >= _MS_THRESHOLD:
                self.add("iqm.date.unit", f"{what} {value!r} looks like milliseconds; campaign times are "
                         "Unix epoch seconds (document sample: \"endDate\": 1632132540)", column)
                return None
            if unit == "ms" and n < _MS_THRESHOLD:
                self.add("iqm.date.unit", f"{what} {value!r} looks like seconds; insertion-order times are "
                         "Unix epoch milliseconds (document sample: \"ioStartTime\": 1690898148000)", column)
                return None
            when = dt.datetime.fromtimestamp(n / factor, dt.timezone.utc)
        elif isinstance(value, (str, dt.date)):
            when = _parse_when(value, end)
            if when is None:
                self.add("iqm.date.format", f"{what} {value!r} is not a date (YYYY-MM-DD), an ISO date-time "
                         "or a Unix timestamp", column)
                return None
            n = int(when.timestamp() * factor)
            if not (future and when <= self.now):
                self.note(column, value if isinstance(value, str) else value.isoformat(), n,
                          f" ({when:%Y-%m-%dT%H:%M:%S}Z)")
        else:
            self.add("iqm.date.format", f"{what} {value!r} is not a date or a Unix timestamp", column)
            return None
        if future and when <= self.now:
            self.add("iqm.date.past",
                     f"{what} {when.isoformat()} is in the past (now {self.now:%Y-%m-%d %H:%M} "
                     "UTC); campaigns would stop at once", column)
            return None
        return n

    def choice(self, value: Any, column: str, allowed: tuple[str, ...], what: str, rule: str) -> str | None:
        text = str(value).strip() if value is not None else ""
        if text not in allowed:
            self.add(rule, f"{what} {value!r} is not one of {', '.join(allowed)}", column)
            return None
        return text

    def mapping(self, value: Any, column: str) -> dict[str, Any] | None:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                self.add("iqm.json.format", f"not a JSON object: {exc}", column)
                return None
        if not isinstance(value, Mapping):
            self.add("iqm.json.format", f"expected an object (dict), got {type(value).__name__}", column)
            return None
        return dict(value)


def _parse_when(value: Any, end: bool) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return _day_bound(value, end)
    text = str(value).strip()
    if len(text) == 10:
        try:
            return _day_bound(dt.date.fromisoformat(text), end)
        except ValueError:
            return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _day_bound(day: dt.date, end: bool) -> dt.datetime:
    t = dt.time(23, 59, 59) if end else dt.time(0, 0, 0)
    return dt.datetime.combine(day, t, dt.timezone.utc)


# --------------------------------------------------------------------------- actions
@dataclass
class ValidatedAction:
    """Normalised values of one action, ready for the hook."""

    action: str
    spec: ActionSpec
    values: dict[str, Any] = field(default_factory=dict)
    #: values sent in another form than given (see :meth:`_Checker.note`)
    notes: list[str] = field(default_factory=list)


def _check_filters(c: _Checker, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    filters = c.mapping(value, "filters")
    if filters is None:
        return {}
    for key in sorted(set(filters) & PAGING_KEYS):
        c.add("iqm.filters.paging", f"{key} is managed by the operator, which walks every page; use "
              "page_size instead", f"filters.{key}")
    return filters


def _check_io_fields(c: _Checker, fields: dict[str, Any], *, creating: bool, column: str = "fields") -> None:
    for key in sorted(fields):
        if key not in IO_FIELDS:
            c.add("iqm.fields.unknown", f"{key!r} is not an insertion-order property of the document",
                  f"{column}.{key}")
    if creating:
        missing = [k for k in IO_CREATE_REQUIRED if fields.get(k) is None]
        budget_type = c._int(fields.get("ioBudgetTypeId"))
        if budget_type == IO_BUDGET_TYPE_BUDGET and fields.get("ioTotalBudget") is None:
            missing.append("ioTotalBudget")
        impression_based = budget_type is not None and budget_type != IO_BUDGET_TYPE_BUDGET
        if impression_based and fields.get("ioStatusId") is None:
            missing.append("ioStatusId")
        for key in missing:
            c.add("iqm.io.required", f"{key} is a required value to create an insertion order",
                  f"{column}.{key}")
    times = {}
    for key in ("ioStartTime", "ioEndTime"):
        if fields.get(key) is not None:
            n = c.epoch(fields[key], f"{column}.{key}", unit="ms", end=key == "ioEndTime", what=key)
            if n is not None:
                fields[key] = times[key] = n
    if len(times) == 2 and times["ioEndTime"] <= times["ioStartTime"]:
        c.add("iqm.io.end_before_start", "ioEndTime must be after ioStartTime", f"{column}.ioEndTime")
    if fields.get("ioTotalBudget") is not None:
        n = c.amount(fields["ioTotalBudget"], f"{column}.ioTotalBudget", "ioTotalBudget")
        if n is not None:
            fields["ioTotalBudget"] = n
    for key in ("ioTimeZoneId", "ioBudgetTypeId", "ioBudgetDistributionMethodId", "ioStatusId"):
        if fields.get(key) is not None:
            n = c.one_id(fields[key], f"{column}.{key}", key)
            if n is not None:
                fields[key] = n
    auto_sum = fields.get("isAutoSumIoTotalBudget")
    if auto_sum is not None and not isinstance(auto_sum, bool):
        c.add("iqm.fields.type", "isAutoSumIoTotalBudget must be true or false",
              f"{column}.isAutoSumIoTotalBudget")


def _check_campaign_fields(c: _Checker, fields: dict[str, Any]) -> None:
    if not fields:
        c.add("iqm.param.required", "no field to update", "fields")
    for key in sorted(fields):
        if key not in CAMPAIGN_FIELDS:
            c.add("iqm.fields.unknown", f"{key!r} is not a campaign property of the document",
                  f"fields.{key}")
    for key in ("budgetDay", "budgetTotal", "maxBid"):
        if fields.get(key) is not None:
            n = c.amount(fields[key], f"fields.{key}", key)
            if n is not None:
                fields[key] = n
    for key, end in (("startTime", False), ("endTime", True)):
        if fields.get(key) is not None:
            n = c.epoch(fields[key], f"fields.{key}", unit="s", end=end, what=key)
            if n is not None:
                fields[key] = n
    if fields.get("status") is not None and fields["status"] not in CAMPAIGN_STATUSES:
        c.add("iqm.campaign.status",
              f"status {fields['status']!r} is not one of {', '.join(CAMPAIGN_STATUSES)}",
              "fields.status")


def validate_action(action: str, params: Mapping[str, Any], *, source: str = "operator",
                    now: dt.datetime | None = None) -> ValidatedAction:
    """Check every parameter of ``action`` against the document's rules; raise
    :class:`ValidationFailed` listing all problems, else return the normalised values.

    :param params: the operator's (rendered) parameters, by name.
    :param now: reference time for "not in the past" checks (default: now, UTC).
    """
    problems = ProblemCollector()
    for p in check_action_at_parse(action, params, source, rendered=True):
        problems.add(p)
    problems.raise_if_any(f"IQM action {action!r}")
    spec = ACTIONS[action]
    c = _Checker(problems, source, now=now)
    v: dict[str, Any] = {}
    get = params.get

    if spec.kind == "list" or "filters" in spec.accepted:
        v["filters"] = _check_filters(c, get("filters"))
    if "page_size" in spec.accepted:
        size = get("page_size")
        if size is None:
            v["page_size"] = MAX_PAGE_SIZE
        else:
            n = c._int(size)
            if n is None or not 1 <= n <= MAX_PAGE_SIZE:
                c.add("iqm.page_size.range", f"page_size {size!r} must be between 1 and {MAX_PAGE_SIZE} "
                      "(at most 1000 rows a page)", "page_size")
            else:
                v["page_size"] = n
    if get("campaign_id") is not None and "campaign_id" in spec.accepted:
        v["campaign_id"] = c.one_id(get("campaign_id"), "campaign_id", "campaign id")
    if get("campaign_ids") is not None and "campaign_ids" in spec.accepted:
        v["campaign_ids"] = c.ids(get("campaign_ids"), "campaign_ids", "campaign id")
    if get("io_id") is not None and "io_id" in spec.accepted:
        v["io_id"] = c.one_id(get("io_id"), "io_id", "insertion order id")
    if get("io_ids") is not None and "io_ids" in spec.accepted:
        v["io_ids"] = c.ids(get("io_ids"), "io_ids", "insertion order id")
    if "is_spent_required" in spec.accepted:
        v["is_spent_required"] = _bool(get("is_spent_required"))

    if action == "update_name":
        name = c.name(get("campaign_name"), "campaign_name")
        if name is not None:
            v["campaign_name"] = name
    elif action == "update_end_date":
        v["end_time"] = c.epoch(get("end_time"), "end_time", unit="s", end=True, what="end date", future=True)
    elif action == "update_budget":
        for name, what in (("total_budget", "total budget"), ("daily_budget", "daily budget"),
                           ("max_bid", "max bid")):
            if get(name) is not None:
                v[name] = c.amount(get(name), name, what)
        kind = get("total_budget_update_type")
        if kind is None:
            v["total_budget_update_type"] = "change"
        else:
            v["total_budget_update_type"] = c.choice(
                kind, "total_budget_update_type", TOTAL_BUDGET_UPDATE_TYPES, "totalBudgetUpdateType",
                "iqm.budget.update_type")
            if v["total_budget_update_type"] in ("addition", "distribution") and get("total_budget") is None:
                c.add("iqm.budget.update_type_needs_total",
                      f"totalBudgetUpdateType {kind!r} is used in the case of a total budget update; "
                      "total_budget is missing", "total_budget")
    elif action == "patch_campaign":
        fields = c.mapping(get("fields"), "fields")
        if fields is not None:
            _check_campaign_fields(c, fields)
            v["fields"] = fields
    elif action == "apply_changes":
        v["changes_file"] = str(get("changes_file"))
    elif action == "create_insertion_order":
        fields = c.mapping(get("fields"), "fields")
        if fields is not None:
            _check_io_fields(c, fields, creating=True)
            v["fields"] = fields
    elif action == "update_insertion_order":
        fields = c.mapping(get("fields"), "fields")
        if fields is not None:
            if not fields:
                c.add("iqm.param.required", "no field to update", "fields")
            _check_io_fields(c, fields, creating=False)
            v["fields"] = fields
    elif action == "duplicate_insertion_order":
        start = c.epoch(get("start_time"), "start_time", unit="ms", end=False, what="ioStartTime")
        end = c.epoch(get("end_time"), "end_time", unit="ms", end=True, what="ioEndTime", future=True)
        if start is not None and end is not None and end <= start:
            c.add("iqm.io.end_before_start", "end_time (ioEndTime) must be after start_time (ioStartTime)",
                  "end_time")
        v["start_time"], v["end_time"] = start, end
        v["time_zone_id"] = c.one_id(get("time_zone_id"), "time_zone_id", "time zone id")
    elif action == "update_io_end_date":
        v["end_time"] = c.epoch(get("end_time"), "end_time", unit="ms", end=True, what="ioEndTime",
                                future=True)
    elif action == "update_io_budget":
        v["budget"] = c.amount(get("budget"), "budget", "budget")
        v["budget_update_type"] = c.choice(get("budget_update_type"), "budget_update_type",
                                           IO_BUDGET_UPDATE_TYPES, "budgetUpdateType",
                                           "iqm.io.budget_update_type")
    problems.raise_if_any(f"IQM action {action!r}")
    return ValidatedAction(action, spec, v, c.notes)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------- changes file
#: keys of one record of a changes file
CHANGE_KEYS = ("campaignId", "campaignName", "endDate", "totalBudget", "dailyBudget", "maxBid",
               "totalBudgetUpdateType")


@dataclass
class CampaignChange:
    """One validated record of a changes file."""

    line: int
    campaign_id: int
    campaign_name: str | None = None
    end_date: int | None = None
    total_budget: float | int | None = None
    daily_budget: float | int | None = None
    max_bid: float | int | None = None
    total_budget_update_type: str = "change"

    @property
    def budget_key(self) -> tuple | None:
        if self.total_budget is None and self.daily_budget is None and self.max_bid is None:
            return None
        return (self.total_budget_update_type, self.total_budget, self.daily_budget, self.max_bid)


def iter_json_records(text: str, source: str, problems: ProblemCollector) -> list[tuple[int, Any]]:
    """``(line, record)`` from a JSON array or JSON Lines text; syntax errors become problems."""
    stripped = text.lstrip()
    if not stripped:
        problems.add(Problem("iqm.changes.empty", "the file holds no change", source))
        return []
    out: list[tuple[int, Any]] = []
    if stripped.startswith("["):
        dec = json.JSONDecoder()
        pos = text.index("[") + 1
        n = len(text)

        def skip_ws(i: int) -> int:
            while i < n and text[i] in " \t\r\n":
                i += 1
            return i

        pos = skip_ws(pos)
        if pos < n and text[pos] == "]":
            return out
        while True:
            pos = skip_ws(pos)
            line = text.count("\n", 0, pos) + 1
            try:
                obj, pos = dec.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                problems.add(Problem("iqm.changes.json", f"invalid JSON: {exc.msg}", source, exc.lineno,
                                     f"char {exc.colno}"))
                return out
            out.append((line, obj))
            pos = skip_ws(pos)
            if pos < n and text[pos] == ",":
                pos += 1
                continue
            if pos < n and text[pos] == "]":
                rest = text[pos + 1:].strip()
                if rest:
                    problems.add(Problem("iqm.changes.json", "text after the closing ]", source,
                                         text.count("\n", 0, pos) + 1))
                return out
            problems.add(Problem("iqm.changes.json", "expected , or ] between records", source,
                                 text.count("\n", 0, pos) + 1))
            return out
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            out.append((lineno, json.loads(raw)))
        except json.JSONDecodeError as exc:
            problems.add(Problem("iqm.changes.json", f"invalid JSON: {exc.msg}", source, lineno,
                                 f"char {exc.colno}"))
    return out


def read_changes(text: str, source: str, now: dt.datetime | None = None,
                 limit: int = 50, notes: list[str] | None = None) -> list[CampaignChange]:
    """Validate a file of per-campaign changes and return them; raise :class:`ValidationFailed`
    naming file, line, field and rule for every broken record.

    Each record is an object with ``campaignId`` and at least one of ``campaignName``,
    ``endDate`` (epoch seconds or ISO date), ``totalBudget``, ``dailyBudget``, ``maxBid``;
    ``totalBudgetUpdateType`` is ``change`` (default) or ``addition``.
    """
    problems = ProblemCollector(limit)
    records = iter_json_records(text, source, problems)
    out: list[CampaignChange] = []
    seen: dict[int, int] = {}
    for line, rec in records:
        c = _Checker(problems, source, line, now, notes)
        if not isinstance(rec, dict):
            c.add("iqm.changes.record", f"a change must be a JSON object, got {type(rec).__name__}", None)
            continue
        for key in rec:
            if key not in CHANGE_KEYS:
                c.add("iqm.changes.unknown_field", f"unknown field {key!r}; known: {', '.join(CHANGE_KEYS)}",
                      key)
        if rec.get("campaignId") is None:
            c.add("iqm.changes.campaign_id", "campaignId is missing", "campaignId")
            cid = None
        else:
            cid = c.one_id(rec["campaignId"], "campaignId", "campaignId")
        if cid is not None:
            if cid in seen:
                c.add("iqm.changes.duplicate", f"campaign {cid} already changed on line {seen[cid]}",
                      "campaignId")
            else:
                seen[cid] = line
        change = CampaignChange(line=line, campaign_id=cid or 0)
        bad = cid is None
        if not any(rec.get(k) is not None for k in CHANGE_KEYS[1:6]):
            c.add("iqm.changes.nothing",
                  "the record changes nothing (give campaignName, endDate, totalBudget, "
                  "dailyBudget or maxBid)", None)
            bad = True
        if rec.get("campaignName") is not None:
            name = c.name(rec["campaignName"], "campaignName")
            if name is None:
                bad = True
            else:
                change.campaign_name = name
        if rec.get("endDate") is not None:
            change.end_date = c.epoch(rec["endDate"], "endDate", unit="s", end=True, what="endDate",
                                      future=True)
            bad |= change.end_date is None
        for key, attr, what in (("totalBudget", "total_budget", "totalBudget"),
                                ("dailyBudget", "daily_budget", "dailyBudget"),
                                ("maxBid", "max_bid", "maxBid")):
            if rec.get(key) is not None:
                val = c.amount(rec[key], key, what)
                setattr(change, attr, val)
                bad |= val is None
        if rec.get("totalBudgetUpdateType") is not None:
            kind = c.choice(rec["totalBudgetUpdateType"], "totalBudgetUpdateType", TOTAL_BUDGET_UPDATE_TYPES,
                            "totalBudgetUpdateType", "iqm.budget.update_type")
            if kind == "distribution":
                c.add("iqm.changes.distribution",
                      "distribution splits one total across the selected campaigns; "
                      "it has no meaning per campaign (use the update_budget action)",
                      "totalBudgetUpdateType")
                kind = None
            if kind is None:
                bad = True
            else:
                change.total_budget_update_type = kind
                if kind == "addition" and rec.get("totalBudget") is None:
                    c.add("iqm.budget.update_type_needs_total",
                          "totalBudgetUpdateType 'addition' is used in the "
                          "case of a total budget update; totalBudget is missing", "totalBudget")
                    bad = True
        if not bad:
            out.append(change)
    if not records and not problems:
        problems.add(Problem("iqm.changes.empty", "the file holds no change", source))
    problems.raise_if_any(f"IQM changes file {source}")
    return out


__all__ = [
    "ACTIONS", "ALL_PARAMS", "ActionSpec", "CampaignChange", "MAX_PAGE_SIZE", "TOTAL_BUDGET_UPDATE_TYPES",
    "IO_BUDGET_UPDATE_TYPES", "ValidatedAction", "ValidationFailed", "check_action_at_parse", "is_template",
    "read_changes", "validate_action",
]
