"""Campaign and insertion-order properties and the values IQM's Campaign API guide allows."""

from __future__ import annotations

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

#: the id field of each list action's rows
LIST_ID_KEYS = {
    "list_campaigns": "id",
    "get_campaigns_data": "id",
    "list_campaign_groups": "campaignGroupId",
    "list_insertion_orders": "ioId",
    "list_io_campaigns": "ioId",
    "list_io_campaign_reports": "campaignId",
}

#: the request keys of the budget amounts ("Update Campaign Budget" sample request)
BUDGET_REQUEST_KEYS = {"total_budget": "totalBudget", "daily_budget": "dailyBudget", "max_bid": "maxBid"}
