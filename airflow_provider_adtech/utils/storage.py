"""File storage for operators and sensors: local paths and object-store URIs (Airflow's ObjectStoragePath).

A source or target is a plain local path (read and written with Python's own files), or a
URI whose scheme Airflow's object storage knows: ``s3://`` (the Amazon provider with its
``s3fs`` extra), ``gs://`` (Google provider), ``abfs://`` (Microsoft Azure provider),
``file://``... (``s3://`` needs this package's ``s3`` extra.) The connection named by ``conn_id`` (the operators' ``aws_conn_id`` /
``source_aws_conn_id`` arguments) authenticates whatever store the scheme needs.

Reads are streams in blocks of :data:`BLOCK_SIZE`, never the whole object, so memory stays
flat whatever the file's size. Airflow is imported inside the functions, so importing this
module stays cheap at DAG-parse time.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
from collections.abc import Iterable, Iterator
from typing import IO, Any

#: bytes fetched per request when streaming an object-store file (memory per open file)
BLOCK_SIZE = 4 << 20
#: fsspec protocols of the local file system (``file://`` URIs)
_LOCAL_PROTOCOLS = ("file", "local")


def is_local(uri: str) -> bool:
    """True for a plain local path, False for a URI with a scheme (``s3://``, ``file://``...)."""
    return "://" not in str(uri)


def display_name(uri: str) -> str:
    """How a source is named in messages: a local file's base name, a URI as given."""
    return os.path.basename(uri) if is_local(uri) else uri


def expand_sources(sources: str | Iterable[str] | None, conn_id: str | None = None) -> list[str]:
    """Paths and URIs, each glob (``*``, ``?``, ``[...]``) expanded into the files it matches, sorted.

    Local globs through Python's ``glob``; an object-store URI with a glob in its path
    (``s3://exports/2026-11-20/*.csv``) through its store's file system, authenticated by
    ``conn_id`` (one listing request). Plain URIs are kept as given (their absence shows when
    they are read). A glob that matches no file, or a local file that does not exist, is an
    error: a missing input must not pass silently.
    """
    if sources is None:
        return []
    if isinstance(sources, (str, os.PathLike)):
        sources = [str(sources)]
    out: list[str] = []
    for src in sources:
        src = str(src)
        if not is_local(src):
            out.extend(_object_glob(src, conn_id) if glob.has_magic(src.partition("://")[2]) else [src])
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


def _object_glob(uri: str, conn_id: str | None) -> list[str]:
    """The files (not folders) an object-store glob matches, as URIs of the same store, sorted."""
    path = object_path(uri, conn_id)
    found = path.fs.glob(path.path, detail=True)
    matched = sorted(path.fs.unstrip_protocol(name) for name, info in found.items() if info.get("type") == "file")
    if not matched:
        raise FileNotFoundError(f"no file matches {uri!r}")
    return matched


#: extras of this package that bring a scheme's file system, named in the error when it is missing
_EXTRAS = {"s3": "s3", "s3a": "s3", "s3n": "s3"}


def object_path(uri: str, conn_id: str | None) -> Any:
    """Airflow's ``ObjectStoragePath`` for ``uri``, authenticated by connection ``conn_id``, with
    its file system attached: a store whose library is not installed fails here, naming what
    to install (before any file is read or any vendor request is made)."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    path = ObjectStoragePath(uri, conn_id=conn_id)
    try:
        path.fs  # noqa: B018 - attaches the store's file system (imports its library)
    except ImportError as exc:
        scheme = uri.partition("://")[0].lower()
        extra = _EXTRAS.get(scheme)
        hint = (f'pip install "airflow-provider-adtech[{extra}]"' if extra
                else f"install the Airflow provider that serves {scheme}://")
        raise ImportError(f"{uri}: no file system for {scheme}:// is installed ({exc}); {hint}") from exc
    return path


def size(uri: str, conn_id: str | None = None) -> int | None:
    """The size in bytes of a local file (plain path or ``file://``); None for a remote object,
    whose size would cost a request."""
    if is_local(uri):
        return os.path.getsize(uri)
    path = object_path(uri, conn_id)
    return path.size() if path.protocol in _LOCAL_PROTOCOLS else None


@contextlib.contextmanager
def open_binary(uri: str, conn_id: str | None = "aws_default") -> Iterator[IO[bytes]]:
    """Open a local file or an object-store URI for streaming reads (never read whole).

    Object-store files are read ahead :data:`BLOCK_SIZE` bytes at a time. The file system is
    opened directly (not ``ObjectStoragePath.open``): the operators report their lineage
    themselves, and a wrapper on every ``read`` of a text stream would cost time.
    """
    if is_local(uri):
        with open(uri, "rb") as fh:
            yield fh
        return
    path = object_path(uri, conn_id)
    with path.fs.open(path.path, "rb", block_size=BLOCK_SIZE) as fh:
        yield fh


@contextlib.contextmanager
def open_text(uri: str, conn_id: str | None = "aws_default", encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Text stream (``newline=''``, as the csv module wants) over :func:`open_binary`."""
    with open_binary(uri, conn_id) as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            yield text
        finally:
            text.detach()


def put_file(local_path: str, target: str, conn_id: str | None = "aws_default") -> str:
    """Copy a finished local file to ``target`` (a local path or an object-store URI); return target.

    A local target's folder is created if missing; an object-store upload streams the file
    (multipart for large ones) through the store's file system.
    """
    if is_local(target):
        import shutil

        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        shutil.copyfile(local_path, target)
        return target
    path = object_path(target, conn_id)
    if path.protocol in _LOCAL_PROTOCOLS:
        os.makedirs(os.path.dirname(path.path), exist_ok=True)
    path.fs.put_file(local_path, path.path)
    return target
