"""IQM emulation (document: iqm-campaign-api.txt).

Login (both documented forms) and refresh; a stateful store of campaigns and insertion
orders seeded from the document's samples; every campaign and insertion-order endpoint
of the guide with its envelope (``{success, data}``, ``{statusCode, responseObject}``,
list shapes), paging (``pageNo``/``noOfEntries`` or ``offset``; ``pgno``/``no_of_entries``
on ``/api/v2/cmp/campaigns/list``; at most 1000 rows), the budget rules behind the
document's partial-failure reasons, and the 20-requests-a-minute limit (switched on
with ``server.configure("iqm", rate_limit=20)``). ``state()["changes"]`` lists every
change applied, in order.
"""

from airflow_provider_adtech.sandbox.iqm.sandbox import IqmSandbox

__all__ = ["IqmSandbox"]
