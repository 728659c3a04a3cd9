"""Sample data for the example DAGs: stand-ins for a warehouse's exports and queries.

In a real deployment these would be a SQL hook's records or files a warehouse writes;
here they are generated deterministically from the data day so every DAG runs anywhere.
Not a DAG file (the leading underscore keeps it out of DAG discovery in tests).
"""

from __future__ import annotations

import datetime
import random

#: a regional syscode -> its local syscodes (what a regional FreeWheel line "can air in")
REGIONAL_SYSCODES = {"7001": [1234, 1235, 1236]}

_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.6045.163 Mobile Safari/537.36",
    "Roku/DVP-12.5 (12.5.0.4178-88)",
]


def write_conversions(path: str, day: datetime.date, rows: int, advertiser: str = "", channel: str = "") -> str:
    """A warehouse export of the day's conversions, with the warehouse's own column names
    (``LATEST_IPADDRESS``, ``TIME_STAMP``, ``SITE_ID``), unquoted values; ``advertiser``
    gives each advertiser of an agency figures of its own, ``channel`` (``web`` or ``app``)
    exports only that channel's conversions."""
    import csv

    rnd = random.Random(day.isoformat() + advertiser + channel)
    events = ["purchase", "signup", "add_to_cart", "visit"]
    custom = ["customer_new,channel_paid-search", "customer_returning,channel_email", "", "plan_annual"]
    start = datetime.datetime.combine(day, datetime.time(0, 0))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["LATEST_IPADDRESS", "useragent", "TIME_STAMP", "SITE_ID", "app", "type", "customdata",
                      "orderid", "amount"])
        for n in range(rows):
            app = channel == "app" if channel else rnd.random() < 0.3
            out.writerow([
                f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
                _AGENTS[3] if app else rnd.choice(_AGENTS[:3]),
                (start + datetime.timedelta(seconds=rnd.randrange(86400))).strftime("%Y-%m-%d %H:%M:%S"),
                "TC-1234-5",
                "app" if app else "web",
                rnd.choice(events),
                rnd.choice(custom),
                f"ORD-{day:%Y%m%d}-{n:07d}",
                f"{rnd.uniform(5, 250):.2f}",
            ])
    return path


def ssp_hourly_rows(day: datetime.date, seats: tuple[str, ...] = ("buyer-a", "buyer-b"),
                    advertiser: str = "") -> list[dict]:
    """A supplier's hourly figures per buyer seat (what its reporting store would return);
    ``advertiser`` gives each advertiser of an agency figures of its own."""
    rnd = random.Random(day.isoformat() + advertiser)
    rows = []
    for seat in seats:
        for hour in range(24):
            bids = rnd.randint(50_000, 500_000)
            imps = rnd.randint(0, bids // 100)
            rows.append({
                "date": day.isoformat(), "hour": hour, "seat": seat, "imps": imps,
                "cost": round(imps * rnd.uniform(0.5, 3.0) / 1000, 4),
                "bids": bids, "timeouts": rnd.randint(0, bids // 20),
            })
    return rows


def linear_order_lines(day: datetime.date) -> list[dict]:
    """Linear order lines for the broadcast week after ``day``, as a traffic system exports them."""
    from airflow_provider_adtech.formats.freewheel import broadcast_week

    monday = day + datetime.timedelta(days=7 - day.weekday())
    sunday = monday + datetime.timedelta(days=6)
    rnd = random.Random(day.isoformat())
    networks = [("ESPN", "ESPN"), ("CNN", "CNN"), ("TNT", "TNT"), ("HGTV", "HGTV")]
    markets = [(1234, "New York"), (5678, "Boston"), (4321, "Chicago")]
    dayparts = ["06:00-09:00", "16:00-20:00", "20:00-23:00"]
    rows = []
    advertisers = ((90017, ("Acme Outdoor, Inc.", "5501")), (90018, ("Bob's Tires", "7302")))
    for contract, advertiser in advertisers:
        for line in range(1, 13):
            spots = rnd.randint(1, 3)
            picks = [(rnd.choice(networks), rnd.choice(markets)) for _ in range(spots)]
            length = rnd.choice([15, 30, 60])
            units = [rnd.randint(1, 20) for _ in picks]
            rows.append({
                "contractid": contract, "tb_system_id": 7, "order_line": line,
                "order_start_date": monday.strftime("%Y%m%d"),
                "order_end_date": sunday.strftime("%Y%m%d"),
                "advertiser_name": advertiser[0], "advertiser_code": advertiser[1],
                "spot_length": length, "prioritycode": rnd.randint(1, 5),
                "broadcast_week": broadcast_week(monday), "bookingdesc": rnd.choice(dayparts),
                "orbits": rnd.choice(["Y", "N"]),
                "syscode": [m[0] for _, m in picks],
                "gross_dollars": [round(u * rnd.uniform(40, 400), 2) for u in units],
                "budget_units": units, "duration": [length] * spots,
                "networkname": [n[0] for n, _ in picks], "networkcode": [n[1] for n, _ in picks],
                "marketname": [m[1] for _, m in picks],
            })
    # one line on a regional syscode: its local syscodes come from REGIONAL_SYSCODES
    rows.append({**rows[0], "order_line": 13, "syscode": [7001], "gross_dollars": [1800.0],
                 "budget_units": [9], "duration": [rows[0]["spot_length"]], "networkname": ["ESPN"],
                 "networkcode": ["ESPN"], "marketname": ["New York DMA"]})
    return rows
