"""moto's S3/STS/IAM server for the sandbox: FreeWheel's S3 folder. Needs the ``sandbox`` extra
(``pip install "airflow-provider-adtech[sandbox]"``: ``moto[server]``).

:func:`start_moto` starts ``ThreadedMotoServer`` on loopback and prepares what
FreeWheel prepares for a customer (document, "Amazon S3 Integration"): a bucket with
a dedicated folder, and an AWS role that "gives your AWS account permissions to upload
and list files in your dedicated folder". It returns two Airflow connections:

* ``aws_default``: plain keys (the caller's own AWS account, e.g. for input files);
* ``aws_freewheel``: the same keys plus ``role_arn`` of FreeWheel's role, so every S3
  call of the FreeWheel delivery goes through the assumed role (the recommended
  approach). The sandbox's ``freewheel_default`` connection names it in its
  ``aws_conn_id`` extra, with ``s3_bucket``/``s3_prefix`` = :data:`FREEWHEEL_BUCKET` /
  :data:`FREEWHEEL_PREFIX`.
"""

from __future__ import annotations

import json
import socket
from typing import Any

#: FreeWheel's bucket in the sandbox (keep in step with ``sandbox/credentials.py``)
FREEWHEEL_BUCKET = "freewheel-autoscheduler-sandbox"
#: the customer's dedicated folder in it
FREEWHEEL_PREFIX = "linear_orders/sandbox"
#: the role FreeWheel creates for the customer's account
FREEWHEEL_ROLE_NAME = "freewheel-linear-orders-upload"
FREEWHEEL_AWS_CONN_ID = "aws_freewheel"
MOTO_ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def role_arn(role_name: str = FREEWHEEL_ROLE_NAME, account_id: str = MOTO_ACCOUNT_ID) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name}"


def delivery_policy(bucket: str = FREEWHEEL_BUCKET, prefix: str = FREEWHEEL_PREFIX) -> dict[str, Any]:
    """FreeWheel's grant: upload and list files in the dedicated folder, nothing else
    (no ``GetObject``/``HeadObject``: the delivery must not need to read objects back)."""
    prefix = prefix.strip("/")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject"],
             "Resource": [f"arn:aws:s3:::{bucket}/{prefix}/*"]},
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}"]},
        ],
    }


def prepare_freewheel_s3(session: Any, bucket: str = FREEWHEEL_BUCKET, prefix: str = FREEWHEEL_PREFIX,
                         role_name: str = FREEWHEEL_ROLE_NAME, trusted_principal: str | None = None,
                         endpoint_url: str | None = None) -> str:
    """Create FreeWheel's bucket and the upload role (idempotent); return the role's ARN.

    :param session: a ``boto3.Session`` (or the ``boto3`` module) with rights to create them.
    :param trusted_principal: the ARN "you provide FreeWheel with", allowed to assume the
        role; default: the root of moto's account.
    """
    kw = {"region_name": REGION, "endpoint_url": endpoint_url}
    s3 = session.client("s3", **kw)
    iam = session.client("iam", **kw)
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    principal = trusted_principal or f"arn:aws:iam::{MOTO_ACCOUNT_ID}:root"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}],
    }
    try:
        arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role_name, PolicyName="freewheel-dedicated-folder",
                        PolicyDocument=json.dumps(delivery_policy(bucket, prefix)))
    return arn


def aws_connections(url: str | None, arn: str, login: str = "testing",
                    password: str = "testing") -> dict[str, dict]:
    """``aws_default`` (plain keys) and ``aws_freewheel`` (assumes ``arn``) connection dicts.

    :param url: moto server URL, or ``None`` for in-process ``mock_aws``.
    """
    base: dict[str, Any] = {"region_name": REGION}
    if url:
        base["endpoint_url"] = url
        # the Amazon provider never sends AssumeRole to the global endpoint_url
        base["service_config"] = {"sts": {"endpoint_url": url}}
    return {
        "aws_default": {"conn_type": "aws", "login": login, "password": password, "extra": dict(base)},
        FREEWHEEL_AWS_CONN_ID: {
            "conn_type": "aws", "login": login, "password": password,
            "extra": {**base, "role_arn": arn, "assume_role_method": "assume_role",
                      "assume_role_kwargs": {"RoleSessionName": "airflow-freewheel-delivery"}},
        },
    }


def require_moto() -> None:
    """Raise :class:`~airflow_provider_adtech.sandbox._extra.SandboxExtraMissing` (one line naming
    the ``sandbox`` extra) unless moto's server and boto3 can be imported."""
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError as exc:
        from airflow_provider_adtech.sandbox._extra import extra_missing

        raise extra_missing("the sandbox's S3 (adtech-sandbox --s3)", exc) from None


def start_moto(host: str = "127.0.0.1", port: int = 0):
    """Start ``ThreadedMotoServer`` with FreeWheel's bucket and role; return it and the env.

    The env holds ``AIRFLOW_CONN_AWS_DEFAULT``, ``AIRFLOW_CONN_AWS_FREEWHEEL`` and
    ``ADTECH_SANDBOX_S3_URL``. Needs the ``sandbox`` extra (moto's server).
    """
    import logging

    require_moto()
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request otherwise

    port = port or _free_port(host)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    url = f"http://{host}:{port}"
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    arn = prepare_freewheel_s3(session, endpoint_url=url)
    env = {f"AIRFLOW_CONN_{cid.upper()}": json.dumps(conn) for cid, conn in aws_connections(url, arn).items()}
    env["ADTECH_SANDBOX_S3_URL"] = url
    return server, env
