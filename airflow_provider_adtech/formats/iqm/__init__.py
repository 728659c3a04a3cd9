"""IQM campaign and insertion-order requests: the actions, their parameters and their rules.

The rules come from IQM's Campaign API guide (``iqm-campaign-api.txt``) and are checked
before any call.

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

from airflow_provider_adtech.formats.errors import ValidationFailed
from airflow_provider_adtech.formats.iqm.actions import (
    ACTIONS,
    ALL_PARAMS,
    ActionSpec,
    check_action_at_parse,
    is_template,
)
from airflow_provider_adtech.formats.iqm.changes import (
    CHANGE_KEYS,
    CampaignChange,
    iter_json_records,
    read_changes,
)
from airflow_provider_adtech.formats.iqm.schema import (
    CAMPAIGN_FIELDS, CAMPAIGN_STATUSES, IO_BUDGET_TYPE_BUDGET, IO_BUDGET_UPDATE_TYPES, IO_CREATE_REQUIRED,
    IO_FIELDS, MAX_PAGE_SIZE, PAGING_KEYS, TOTAL_BUDGET_UPDATE_TYPES)
from airflow_provider_adtech.formats.iqm.validate import ValidatedAction, validate_action

__all__ = [
    "ACTIONS", "ALL_PARAMS", "ActionSpec", "CampaignChange", "MAX_PAGE_SIZE", "TOTAL_BUDGET_UPDATE_TYPES",
    "IO_BUDGET_UPDATE_TYPES", "ValidatedAction", "ValidationFailed", "check_action_at_parse", "is_template",
    "read_changes", "validate_action", "CAMPAIGN_FIELDS", "CAMPAIGN_STATUSES", "CHANGE_KEYS",
    "IO_BUDGET_TYPE_BUDGET", "IO_CREATE_REQUIRED", "IO_FIELDS", "PAGING_KEYS", "iter_json_records",
]
