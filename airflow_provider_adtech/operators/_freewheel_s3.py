"""Putting FreeWheel's delivery zip into its S3 folder once: a conditional put, and the file already there."""

from __future__ import annotations

from typing import Any

from airflow_provider_adtech.exceptions import AdtechError


def put_once(delivery: Any, bucket: str, key: str, aws_conn_id: str, context: Any,
             conditional_put: bool) -> bool:
    """Put the zip at ``key`` unless it is there; True when it was there already (same bytes).

    ``conditional_put`` sends ``If-None-Match: *``, so that S3 itself refuses to replace a
    key. A different file under ``key`` is an error: it is never overwritten."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from botocore.exceptions import ClientError

    client = S3Hook(aws_conn_id=aws_conn_id).get_conn()
    existing = _listed_object(client, bucket, key)
    if existing is None:
        extra: dict[str, Any] = {"IfNoneMatch": "*"} if conditional_put else {}
        meta = {"lines": str(delivery.lines), "csv-sha256": delivery.csv_sha256}
        for name in ("dag_id", "run_id"):
            val = _context_id(context, name)
            if val:
                meta[name.replace("_", "-")] = val
        try:
            with open(delivery.zip_path, "rb") as fh:
                client.put_object(Bucket=bucket, Key=key, Body=fh, ContentType="application/zip",
                                  Metadata=meta, **extra)
            return False
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                raise
            existing = _listed_object(client, bucket, key)
            if existing is None:
                raise
    etag = str(existing.get("ETag", "")).strip('"')
    if etag == delivery.zip_md5:
        return True
    raise AdtechError(
        f"s3://{bucket}/{key} already exists with different content (ETag {etag}, "
        f"{existing.get('Size')} bytes; this build: MD5 {delivery.zip_md5}, {delivery.zip_bytes} bytes). "
        "It is not overwritten: FreeWheel may have ingested it. To deliver the new orders as another "
        "file, pass a new timestamp= (e.g. '{{ macros.datetime.utcnow() }}'). Buckets with SSE-KMS "
        "report ETags that are not MD5s.")


def _listed_object(client: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """The object at ``key`` from ``ListObjectsV2`` (only "list" permission needed), or None."""
    resp = client.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1000)
    for obj in resp.get("Contents", []) or []:
        if obj.get("Key") == key:
            return obj
    return None


def _context_id(context: Any, name: str) -> str | None:
    if not context:
        return None
    if name == "run_id" and context.get("run_id"):
        return str(context["run_id"])
    dag = context.get("dag")
    if name == "dag_id" and dag is not None:
        return str(getattr(dag, "dag_id", "") or "") or None
    ti = context.get("ti") or context.get("task_instance")
    val = getattr(ti, name, None)
    return str(val) if val else None
