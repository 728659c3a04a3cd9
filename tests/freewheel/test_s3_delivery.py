"""FreeWheelS3OrderOperator against FreeWheel's S3 folder in moto (IAM policies enforced)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import zipfile

import pytest
from botocore.exceptions import ClientError

from airflow_provider_adtech.exceptions import AdtechError, AdtechValidationError
from airflow_provider_adtech.formats import freewheel as fwf
from airflow_provider_adtech.operators.freewheel import FreeWheelS3OrderOperator

from freewheel_helpers import order_row, order_rows, run_context

KEY_RE = re.compile(r"^linear_orders/sandbox/linear_orders_(\d{8})_(\d{14})\.zip$")


def deliver(aws_conn_id="aws_freewheel", context=None, **kwargs):
    kwargs.setdefault("rows", order_rows(3))
    op = FreeWheelS3OrderOperator(task_id="deliver", aws_conn_id=aws_conn_id,
                                  s3_bucket="freewheel-autoscheduler-sandbox",
                                  s3_prefix="linear_orders/sandbox", **kwargs)
    return op, op.execute(context or run_context())


def unzip(data: bytes) -> tuple[list[str], str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        return names, zf.read(names[0]).decode("utf-8")


def test_delivery_key_follows_naming_convention_and_zip_holds_one_csv(freewheel_s3):
    """"File name must follow this convention: linear_orders_{date of orders}_{timestamp}.csv", zipped."""
    _, result = deliver()
    assert freewheel_s3.keys() == [result["key"]]
    m = KEY_RE.match(result["key"])
    assert m, result["key"]
    assert m.group(1) == "20261120"  # the run's data day
    assert m.group(2) == "20261120000000"  # the run's logical date: stable across re-runs
    names, text = unzip(freewheel_s3.get(result["key"]))
    assert names == ["linear_orders_20261120_20261120000000.csv"]
    assert result == {**result, "bucket": freewheel_s3.bucket, "lines": 3, "delivered": True,
                      "already_delivered": False, "uri": f"s3://{freewheel_s3.bucket}/{result['key']}"}
    assert result["bytes"] == len(freewheel_s3.get(result["key"]))


def test_csv_header_quoting_and_rows(freewheel_s3):
    """"String type fields must be enclosed within quotation marks"; arrays are one quoted,
    comma-separated cell; Integer fields unquoted; header = the document's columns."""
    rows = [order_row(), order_row(order_line="2", advertiser_name='Bob\'s "Best" Tires', syscode="4321",
                                   gross_dollars="99.5", buget_units="3", duration="30", networkname="TNT",
                                   networkcode="TNT", marketname="Chicago", orbits="Y")]
    _, result = deliver(rows=rows)
    _, text = unzip(freewheel_s3.get(result["key"]))
    lines = text.split("\r\n")
    assert lines[0] == ",".join(fwf.CSV_COLUMNS)
    assert "buget_units" in lines[0] and "budget_units" not in lines[0]
    assert lines[1] == ('1001,7,"20261123","20261129","Acme Outdoor, Inc.","5501",1,30,3,"202648","16:00-20:00",'
                        '"N","1234,5678","1500.00,200.50","10,2","30,30","ESPN,CNN","ESPN,CNN","New York,Boston",""')
    assert lines[2] == ('1001,7,"20261123","20261129","Bob\'s ""Best"" Tires","5501",2,30,3,"202648",'
                        '"16:00-20:00","Y","4321","99.5","3","30","TNT","TNT","Chicago",""')
    assert lines[3] == "" and len(lines) == 4
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["order_line"] for r in parsed] == ["1", "2"]


def test_regional_syscode_lines_carry_their_local_inclusions(freewheel_s3):
    """"If the order line is for regional syscode, then syscode_inclusions must have a
    comma-separated list of local syscodes"; filled from regional_syscodes and counted."""
    rows = [order_row(syscode="7001", gross_dollars="900", buget_units="6", duration="30", networkname="ESPN",
                      networkcode="ESPN", marketname="New York DMA"), order_row(order_line="2")]
    _, result = deliver(rows=rows, regional_syscodes={"7001": [1234, 1235, 1236]})
    assert result["syscode_inclusions_filled"] == 1
    _, text = unzip(freewheel_s3.get(result["key"]))
    data = list(csv.DictReader(io.StringIO(text)))
    assert data[0]["syscode_inclusions"] == "1234,1235,1236"
    assert data[1]["syscode_inclusions"] == ""


def test_size_limit_checked_before_upload(freewheel_s3):
    """"a file size of no more than 500MB": with a small configured limit nothing is uploaded."""
    with pytest.raises(AdtechValidationError) as err:
        deliver(rows=order_rows(50), max_zip_bytes=300)
    assert "freewheel.file.max_size" in str(err.value) and "no more than 300 bytes" in str(err.value)
    assert freewheel_s3.keys() == []
    _, result = deliver(rows=order_rows(50), max_zip_bytes=100_000)
    assert 300 < result["bytes"] <= 100_000


def test_role_assumption_through_aws_connection_extra(freewheel_s3):
    """Access model 1 (recommended): our account assumes FreeWheel's role (``role_arn`` extra)."""
    from moto.sts.models import sts_backends

    _, result = deliver(aws_conn_id="aws_freewheel")
    assert freewheel_s3.keys() == [result["key"]]
    assumed = [r for regions in sts_backends.values() for b in regions.values() for r in b.assumed_roles]
    assert [r.arn.split("/")[1] for r in assumed] == ["freewheel-linear-orders-upload"]
    assert assumed[0].arn.endswith("/airflow-freewheel-delivery") or assumed[0].session_name
    # The same keys without the role may not upload: the upload above went through the role.
    with pytest.raises(ClientError, match="AccessDenied"):
        deliver(aws_conn_id="aws_customer_only", timestamp="20261120010000")
    assert len(freewheel_s3.keys()) == 1


def test_freewheel_issued_access_key(freewheel_s3):
    """Access model 2: "FreeWheel gives you an AWS access key" (plain keys in the connection)."""
    _, result = deliver(aws_conn_id="aws_freewheel_keys")
    assert freewheel_s3.keys() == [result["key"]]


def test_upload_confined_to_dedicated_folder(freewheel_s3):
    """The role only grants the dedicated folder; another prefix is refused by S3, not by us."""
    op = FreeWheelS3OrderOperator(task_id="t", rows=order_rows(1), aws_conn_id="aws_freewheel",
                                  s3_bucket=freewheel_s3.bucket, s3_prefix="someone_else")
    with pytest.raises(ClientError, match="AccessDenied"):
        op.execute(run_context())
    assert freewheel_s3.keys() == []


def test_rerun_reports_earlier_delivery_and_never_overwrites(freewheel_s3):
    """A re-run of the same DAG run finds its file and does not deliver twice; a different
    file under the same name is refused, the original stays."""
    _, first = deliver()
    original = freewheel_s3.get(first["key"])
    _, again = deliver()
    assert again["key"] == first["key"]
    assert again["already_delivered"] is True and again["delivered"] is False
    assert freewheel_s3.keys() == [first["key"]]
    with pytest.raises(AdtechError, match="already exists with different content"):
        deliver(rows=order_rows(4))
    assert freewheel_s3.get(first["key"]) == original
    # a later run (another logical date) is a new file
    _, other = deliver(context=run_context(day=dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)))
    assert sorted(freewheel_s3.keys()) == sorted([first["key"], other["key"]])


def test_conditional_put_refuses_a_key_that_appeared_meanwhile(freewheel_s3, monkeypatch):
    """If another writer puts the key between our listing and our upload, If-None-Match: *
    makes S3 refuse ours; the existing object is then compared like on a re-run."""
    from airflow_provider_adtech.operators import _freewheel_s3 as opmod

    real = opmod._listed_object
    calls = {"n": 0}

    def first_listing_misses(client, bucket, key):
        calls["n"] += 1
        if calls["n"] == 1:
            freewheel_s3.auditor.put_object(Bucket=bucket, Key=key, Body=b"someone else's file")
            return None
        return real(client, bucket, key)

    monkeypatch.setattr(opmod, "_listed_object", first_listing_misses)
    with pytest.raises(AdtechError, match="different content"):
        deliver()
    assert calls["n"] == 2
    assert freewheel_s3.get(freewheel_s3.keys()[0]) == b"someone else's file"


def test_csv_source_from_s3_and_lineage(freewheel_s3, s3_endpoint, monkeypatch, tmp_path):
    """Input from ``s3://`` (our own account, ``aws_default``); lineage input -> s3://bucket/key.

    The input is read through Airflow's object storage (s3fs), which talks HTTP: ``aws_default``
    reaches the same moto state through its server (``endpoint_url``), IAM still enforced.
    """
    conn = json.loads(os.environ["AIRFLOW_CONN_AWS_DEFAULT"])
    conn["extra"]["endpoint_url"] = s3_endpoint
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(conn))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(order_row().keys()))
    w.writeheader()
    w.writerows(order_rows(5))
    freewheel_s3.auditor.put_object(Bucket="customer-data", Key="orders/2026-11-20.csv", Body=buf.getvalue())
    op, result = deliver(rows=None, source="s3://customer-data/orders/2026-11-20.csv")
    assert result["lines"] == 5
    assert op._lineage == (["s3://customer-data/orders/2026-11-20.csv"], [result["uri"]])
    lineage = op.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("s3://customer-data", "orders/2026-11-20.csv")]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [(f"s3://{freewheel_s3.bucket}", result["key"])]


def test_bucket_prefix_and_aws_connection_from_freewheel_connection(freewheel_s3, sandbox):
    """Without arguments, bucket/prefix/AWS connection come from the FreeWheel connection's extras."""
    op = FreeWheelS3OrderOperator(task_id="t", rows=order_rows(2))
    result = op.execute(run_context())
    assert result["bucket"] == "freewheel-autoscheduler-sandbox"
    assert KEY_RE.match(result["key"])
    assert freewheel_s3.keys() == [result["key"]]
    assert sandbox.journal.count("freewheel.*") == 0  # S3 delivery needs no FreeWheel API call


def test_empty_input(freewheel_s3):
    with pytest.raises(AdtechValidationError, match="no order lines"):
        deliver(rows=[])
    op, result = deliver(rows=[], allow_empty=True)
    assert result["delivered"] is False and result["lines"] == 0 and freewheel_s3.keys() == []
