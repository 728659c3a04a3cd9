"""Helpers shared by the operators: reading and writing local or ``s3://`` files as streams.

Everything heavy (boto3 through ``S3Hook``) is imported inside the functions, so
importing an operator module stays cheap at DAG-parse time.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
from collections.abc import Iterable, Iterator
from typing import IO, Any
from urllib.parse import urlsplit


def is_s3(uri: str) -> bool:
    return str(uri).startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.netloc, parts.path.lstrip("/")


def expand_sources(sources: str | Iterable[str] | None) -> list[str]:
    """Local paths with globs expanded (sorted), ``s3://`` URIs kept as given.

    A glob that matches nothing is an error: a missing input must not pass silently.
    """
    if sources is None:
        return []
    if isinstance(sources, (str, os.PathLike)):
        sources = [str(sources)]
    out: list[str] = []
    for src in sources:
        src = str(src)
        if is_s3(src):
            out.append(src)
        elif glob.has_magic(src):
            matched = sorted(glob.glob(src))
            if not matched:
                raise FileNotFoundError(f"no file matches {src!r}")
            out.extend(matched)
        else:
            if not os.path.exists(src):
                raise FileNotFoundError(f"input file not found: {src!r}")
            out.append(src)
    return out


class _StreamingRaw(io.RawIOBase):
    """Adapts botocore's StreamingBody (read(n)) to a raw stream for BufferedReader."""

    def __init__(self, body: Any):
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._body.read(len(b))
        n = len(data)
        b[:n] = data
        return n

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._body.close()
        super().close()


@contextlib.contextmanager
def open_binary(uri: str, aws_conn_id: str | None = "aws_default") -> Iterator[IO[bytes]]:
    """Open a local file or an ``s3://`` object for streaming reads (never read whole)."""
    if is_s3(uri):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        bucket, key = split_s3(uri)
        obj = S3Hook(aws_conn_id=aws_conn_id).get_conn().get_object(Bucket=bucket, Key=key)
        stream = io.BufferedReader(_StreamingRaw(obj["Body"]), buffer_size=1 << 20)
        try:
            yield stream
        finally:
            stream.close()
    else:
        with open(uri, "rb") as fh:
            yield fh


@contextlib.contextmanager
def open_text(uri: str, aws_conn_id: str | None = "aws_default", encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Text stream (``newline=''``, as the csv module wants) over :func:`open_binary`."""
    with open_binary(uri, aws_conn_id) as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            yield text
        finally:
            text.detach()


def put_file(local_path: str, target: str, aws_conn_id: str | None = "aws_default", replace: bool = True) -> str:
    """Copy a finished local file to ``target`` (a local path or ``s3://`` URI); return target."""
    if is_s3(target):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        bucket, key = split_s3(target)
        S3Hook(aws_conn_id=aws_conn_id).load_file(local_path, key=key, bucket_name=bucket, replace=replace)
    else:
        import shutil

        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        shutil.copyfile(local_path, target)
    return target
