"""IQM sandbox data: the document's samples, the status order, campaign and insertion-order keys, bid ranges."""

MAX_ROWS = 1000
STATUS_ORDER = [(0, "running", "Running"), (1, "pending", "Pending"), (2, "paused", "Paused"),
                (5, "deleted", "Deleted"), (6, "expired", "Expired"), (3, "draft", "Draft"),
                (7, "rejected", "Rejected")]
IO_BASIC_KEYS = ("ioId", "ioName", "ioStartTime", "ioEndTime", "ioTimeZoneId", "ioTotalBudget",
                 "ioBudgetDistributionMethodId", "ioBudgetTypeId", "ioStatusId", "ioTotalImpressions",
                 "isBudgetAutoSum")
IO_REQUIRED = ("ioName", "ioStartTime", "ioEndTime", "ioTimeZoneId", "isAutoSumIoTotalBudget",
               "ioBudgetTypeId",
               "ioBudgetDistributionMethodId")
IO_CREATE_KEYS = frozenset(IO_REQUIRED) | {"ioTotalBudget", "ioStatusId", "ioTotalImpressions"}
#: max bid range per campaign type ("For given campaign_type max bid cannot be less than 1.00 or greater
#: than 1000.")
BID_RANGE = {"cpv": (1.00, 1000.0), "cpm": (0.10, 1000.0)}

CAMPAIGN_FIELDS = frozenset("""
campaignName advertiserDomain creativeType campaignType totalBudgetPacing isTvAd budgetDay budgetTotal
maxBid timezone startTime endTime status dspMargin platformMargin userDealMargin spentScale creativeIds
conversionType conversionTypeId bidOptimization bidPacing isBidShading impressionCapping maxDayImpressions
maxDayClicks maxDayConversions totalImpressions totalClicks totalConversions deviceType trafficType exchanges
stateIds countryId isLocationWithOrFilter locationDetails campaignIabCategoryIds creativesPlacementMapping
conversionIds prebidAudienceSegmentIdList campaignTypeId budgetTypeId ioId
""".split())

# The document's samples (times: campaigns in Unix seconds, insertion orders in milliseconds).
SEED_IOS = [
    dict(ioId=15844, ioName="Test2", ioTimeZoneId=29, ioTotalBudget=59900, ioBudgetTypeId=1),
    dict(ioId=1630, ioName="phase 2 test", ioStartTime=1792179297123, ioEndTime=1793179297123,
         ioTimeZoneId=29,
         ioTotalBudget=0, ioBudgetTypeId=2, ioStatusId=1),
    dict(ioId=741, ioName="testdatasync", ioStartTime=1692860161542, ioEndTime=1696226400000, ioTimeZoneId=21,
         ioTotalBudget=100001, ioBudgetTypeId=2, ioStatusId=1),
    dict(ioId=738, ioName="IO Bharat", ioStartTime=1693251767612, ioEndTime=1693353600000, ioTimeZoneId=29,
         ioTotalBudget=1100, ioBudgetTypeId=2, ioStatusId=2),
    dict(ioId=4091, ioName="Future start date", ioBudgetTypeId=1, ioStatusId=1, created=1700726026913),
    dict(ioId=3979, ioName="Test IO for campaign popup", ioBudgetTypeId=1, ioStatusId=1,
         created=1700476689502),
    dict(ioId=225, ioName="Beatrice King", ioBudgetTypeId=1, ioStatusId=2, created=1677925263000),
    dict(ioId=48, ioName="UAW", ioBudgetTypeId=1, ioStatusId=1, created=1665500839000),
    dict(ioId=2991, ioName="Insertion Order For Donation", ioStartTime=1698446340000, ioEndTime=1698739200000,
         ioTimeZoneId=420, ioTotalBudget=26415, ioBudgetTypeId=1, ioStatusId=1),
]
SEED_CAMPAIGNS = [
    dict(id=537599, campaignName="TestCampaign", ioId=15844, status="pending", startTime=1726518001,
         endTime=1727668800, budgetTotal=50000.0, budgetDay=1199.08, maxBid=15.0),
    dict(id=537123, campaignName="Test1", ioId=15844, status="pending", startTime=1727755200,
         endTime=1730347200,
         budgetTotal=9900.0, budgetDay=500.0, maxBid=5.0),
    dict(id=450700, campaignName="future date campaign", ioId=4091, status="running", startTime=1732690800,
         endTime=1767164400, timezone=21),
    dict(id=451031, campaignName="no end date", ioId=3979, status="running", startTime=1701249000,
         timezone=21),
    dict(id=450277, campaignName="prod-campaign-20935 copy", ioId=225, status="running", startTime=1700819565,
         endTime=1709182800),
    dict(id=20731, campaignName="prod-campaign-20731", ioId=48, status="running", startTime=1676700273,
         endTime=1711857600),
    dict(id=4120, campaignName="test cust aud dev", ioId=48, status="running", startTime=1676700273,
         endTime=1711857600, maxBid=5.0, minBid=3.0),
    dict(id=4121, campaignName="Vast copy", ioId=48, status="running", kind="cpv", startTime=1676700273,
         endTime=1711857600, maxBid=8.0),
    dict(id=445615, campaignName="Campaign For Child", ioId=2991, status="pending", kind="cpv",
         startTime=1698445456, endTime=1698739200, budgetDay=5.0, budgetTotal=13.0, maxBid=4.0),
    dict(id=192476, campaignName="sample campaign 192476", ioId=741, status="paused", startTime=1692860161,
         endTime=1696226400),
]
SEED_GROUPS = [
    {"campaignGroupId": 1, "campaignGroupName": "UAW campaigns", "campaignIds": [20731, 4120, 4121]},
    {"campaignGroupId": 2, "campaignGroupName": "Test2 campaigns", "campaignIds": [537599, 537123]},
]
