"""FreeWheel fixtures: order rows, and FreeWheel's S3 folder in moto with IAM enforced."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class FreeWheelS3:
    """FreeWheel's side in moto: bucket, folder, role; and an auditor to look inside."""

    bucket: str
    prefix: str
    role_arn: str
    customer_key: dict[str, str]
    freewheel_key: dict[str, str]
    auditor: Any  # boto3 S3 client with read rights on everything

    def keys(self) -> list[str]:
        resp = self.auditor.list_objects_v2(Bucket=self.bucket)
        return [o["Key"] for o in resp.get("Contents", [])]

    def get(self, key: str) -> bytes:
        return self.auditor.get_object(Bucket=self.bucket, Key=key)["Body"].read()


def _conn(key: dict[str, str], **extra: Any) -> str:
    return json.dumps({"conn_type": "aws", "login": key["AccessKeyId"], "password": key["SecretAccessKey"],
                       "extra": {"region_name": "us-east-1", **extra}})


@pytest.fixture
def freewheel_s3(monkeypatch):
    """moto (``mock_aws``) with FreeWheel's bucket and role, and IAM policies enforced.

    * ``aws_freewheel``: the customer's keys (allowed nothing but ``sts:AssumeRole``)
      plus ``role_arn`` of FreeWheel's role (upload and list in the folder only);
    * ``aws_freewheel_keys``: an access key FreeWheel issued (same rights as the role);
    * ``aws_customer_only``: the customer's keys without the role (may not upload).
    * ``aws_default``: the customer's data account (reads input files).
    """
    import boto3
    from moto import mock_aws
    from moto import settings as moto_settings
    from moto.core.authorization import ActionAuthenticatorMixin

    from airflow_provider_adtech.sandbox.s3 import (
        FREEWHEEL_BUCKET, FREEWHEEL_PREFIX, MOTO_ACCOUNT_ID, delivery_policy, prepare_freewheel_s3, role_arn,
    )

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
        session = boto3.Session(region_name="us-east-1")
        iam = session.client("iam")
        s3 = session.client("s3")
        s3.create_bucket(Bucket="customer-data")

        def user(name: str, policy: dict) -> dict[str, str]:
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
            return iam.create_access_key(UserName=name)["AccessKey"]

        def allow(actions: list[str], res: Any = "*") -> dict:
            return {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": actions, "Resource": res}]}
        arn = role_arn()
        customer = user("airflow-workers", allow(["sts:AssumeRole"], arn))
        # "You provide FreeWheel with the ARN from your AWS account": the role trusts it
        customer_arn = f"arn:aws:iam::{MOTO_ACCOUNT_ID}:user/airflow-workers"
        prepare_freewheel_s3(session, trusted_principal=customer_arn)
        issued = user("freewheel-issued", delivery_policy())
        data = user("customer-data",
                    allow(["s3:*"], ["arn:aws:s3:::customer-data", "arn:aws:s3:::customer-data/*"]))
        auditor_key = user("auditor", allow(["s3:*"]))
        auditor = boto3.client("s3", region_name="us-east-1", aws_access_key_id=auditor_key["AccessKeyId"],
                               aws_secret_access_key=auditor_key["SecretAccessKey"], aws_session_token=None)
        monkeypatch.setenv("AIRFLOW_CONN_AWS_FREEWHEEL", _conn(customer, role_arn=arn))
        monkeypatch.setenv("AIRFLOW_CONN_AWS_FREEWHEEL_KEYS", _conn(issued))
        monkeypatch.setenv("AIRFLOW_CONN_AWS_CUSTOMER_ONLY", _conn(customer))
        monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", _conn(data))
        # From here on every request must be allowed by IAM policies.
        enforce_from = ActionAuthenticatorMixin.request_count
        monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", enforce_from)
        yield FreeWheelS3(FREEWHEEL_BUCKET, FREEWHEEL_PREFIX, arn, customer, issued, auditor)
