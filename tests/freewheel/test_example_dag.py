"""The example DAG ``freewheel_orders`` end to end: ``airflow dags test`` against the sandbox
and moto's S3 server (FreeWheel's bucket and role, created by ``sandbox/s3.py``)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from dagrun import DATA_DAYS, RUN_DATE, run_example_dag

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def moto_server():
    from airflow_provider_adtech.sandbox.s3 import start_moto

    server, env = start_moto()
    yield env
    server.stop()


def s3_client(url: str):
    import boto3

    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def test_freewheel_orders_dag_delivers_to_s3_and_api_then_rerun_does_not_deliver_twice(sandbox, moto_server):
    from airflow_provider_adtech.sandbox.s3 import FREEWHEEL_BUCKET, FREEWHEEL_PREFIX

    result = run_example_dag("freewheel_orders", sandbox, extra_env=moto_server)
    result.assert_success()

    delivery = result.xcoms["deliver_to_s3"]
    assert delivery["bucket"] == FREEWHEEL_BUCKET
    # data day: RUN_DATE on Airflow 3, the day before on Airflow 2 (manual runs end their interval there)
    days = "|".join(d.replace("-", "") for d in DATA_DAYS)
    run = RUN_DATE.replace("-", "")
    m = re.fullmatch(rf"{FREEWHEEL_PREFIX}/linear_orders_({days})_{run}000000\.zip", delivery["key"])
    assert m, delivery["key"]
    assert delivery["lines"] == 25 and delivery["syscode_inclusions_filled"] == 1
    assert delivery["delivered"] is True and delivery["already_delivered"] is False

    s3 = s3_client(moto_server["ADTECH_SANDBOX_S3_URL"])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=FREEWHEEL_BUCKET)["Contents"]]
    assert keys == [delivery["key"]]
    body = s3.get_object(Bucket=FREEWHEEL_BUCKET, Key=delivery["key"])["Body"].read()
    assert len(body) == delivery["bytes"]
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        (name,) = zf.namelist()
        text = zf.read(name).decode()
    assert name == delivery["key"].rsplit("/", 1)[1].replace(".zip", ".csv")
    assert text.count("\r\n") == 26 and text.startswith("contractid,tb_system_id,order_start_date")

    # the upload went through FreeWheel's role (assumed via moto's STS)
    from moto.sts.models import sts_backends

    assumed = [r.arn for regions in sts_backends.values() for b in regions.values() for r in b.assumed_roles]
    # (moto runs in this process as a server thread; the DAG's worker assumed the role through it)
    assert any("freewheel-linear-orders-upload" in a for a in assumed), assumed

    api = result.xcoms["post_order_lines"]
    assert api["lines"] == 25 and api["ingested"] == 25 and api["batches"] == 3
    fw = sandbox.vendors["freewheel"]
    assert fw.state()["linear_orders"] == 25
    assert [e.meta["lines"] for e in sandbox.journal.entries("freewheel.linear_orders")] == [10, 10, 5]
    regional = fw.orders["90017-7-13"]
    assert [z["syscode"] for z in regional["targeting"]["geo"]["zone"]["include"]] == ["7001", "1234", "1235",
                                                                                        "1236"]
    assert result.xcoms["check"]["lines"] == 25

    # the same run again: the file is found, not delivered twice; the API upsert repeats harmlessly
    again = run_example_dag("freewheel_orders", sandbox, extra_env=moto_server)
    again.assert_success()
    assert again.xcoms["deliver_to_s3"]["already_delivered"] is True
    assert again.xcoms["deliver_to_s3"]["key"] == delivery["key"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=FREEWHEEL_BUCKET)["Contents"]] == [delivery["key"]]
    assert fw.state()["linear_orders"] == 25 and fw.state()["updated"] == 25
