"""utils.storage: local paths, ``file://`` and ``s3://`` (moto's server through the AWS connection)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from airflow_provider_adtech.utils import storage

CSV = "a,b\r\n1,2\r\n3,4\r\n"


def test_plain_paths_globs_sorted_read_sized_and_named(tmp_path):
    for name in ("b.csv", "a.csv", "c.txt"):
        (tmp_path / name).write_text(CSV, newline="")
    paths = storage.expand_sources(str(tmp_path / "*.csv"))
    assert paths == [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    assert storage.expand_sources([str(tmp_path / "c.txt")]) == [str(tmp_path / "c.txt")]
    assert storage.expand_sources(None) == []
    with storage.open_text(paths[0]) as fh:
        assert fh.read() == CSV  # newline='' keeps the CRLFs the csv module wants
    assert storage.size(paths[0]) == len(CSV)
    assert storage.display_name(paths[0]) == "a.csv"
    assert storage.display_name("s3://bucket/x/a.csv") == "s3://bucket/x/a.csv"


def test_missing_file_and_empty_glob_are_errors(tmp_path):
    missing = str(tmp_path / "nothing.csv")
    with pytest.raises(FileNotFoundError, match=r"input file not found: '.*nothing\.csv'"):
        storage.expand_sources(missing)
    with pytest.raises(FileNotFoundError, match=r"no file matches '.*\*\.csv'"):
        storage.expand_sources(str(tmp_path / "*.csv"))


def test_put_file_to_a_plain_path_creates_its_folder(tmp_path):
    src = tmp_path / "src.jsonl"
    src.write_bytes(b'{"a": 1}\n')
    target = str(tmp_path / "out" / "deep" / "rows.jsonl")
    assert storage.put_file(str(src), target) == target
    assert (tmp_path / "out" / "deep" / "rows.jsonl").read_bytes() == b'{"a": 1}\n'


def test_file_uri_source_and_output(tmp_path):
    (tmp_path / "in.csv").write_text(CSV, newline="")
    uri = (tmp_path / "in.csv").as_uri()
    assert storage.expand_sources(uri) == [uri]  # URIs are kept as given
    with storage.open_text(uri, None) as fh:
        assert fh.read() == CSV
    with storage.open_binary(uri, None) as fh:
        assert fh.read(3) == b"a,b"
    assert storage.size(uri) == len(CSV)
    assert storage.display_name(uri) == uri
    target = (tmp_path / "out" / "copy.csv").as_uri()
    assert storage.put_file(str(tmp_path / "in.csv"), target, None) == target
    assert (tmp_path / "out" / "copy.csv").read_bytes() == CSV.encode()


def test_s3_read_and_write_through_the_aws_connection(s3_server, tmp_path):
    s3_server.create_bucket(Bucket="exports")
    s3_server.put_object(Bucket="exports", Key="in/rows.csv", Body=CSV.encode())
    with storage.open_text("s3://exports/in/rows.csv", "aws_default") as fh:
        assert fh.read() == CSV
    assert storage.size("s3://exports/in/rows.csv", "aws_default") is None  # a request: not worth it
    local = tmp_path / "out.csv"
    local.write_text(CSV, newline="")
    assert storage.put_file(str(local), "s3://exports/out/rows.csv", "aws_default") == "s3://exports/out/rows.csv"
    assert s3_server.get_object(Bucket="exports", Key="out/rows.csv")["Body"].read() == CSV.encode()


def test_file_uri_globs_expand_to_file_uris(tmp_path):
    for name in ("b.csv", "a.csv", "c.txt"):
        (tmp_path / name).write_text(CSV, newline="")
    (tmp_path / "d.csv").mkdir()  # a folder that matches is not a file
    pattern = tmp_path.as_uri() + "/*.csv"
    assert storage.expand_sources(pattern) == [(tmp_path / "a.csv").as_uri(), (tmp_path / "b.csv").as_uri()]
    with pytest.raises(FileNotFoundError, match=r"no file matches 'file://.*/\*\.json'"):
        storage.expand_sources(tmp_path.as_uri() + "/*.json")


def test_s3_globs_list_the_bucket_through_the_aws_connection(s3_server):
    s3_server.create_bucket(Bucket="exports")
    for key in ("in/2026-11-21/b.csv", "in/2026-11-21/a.csv", "in/2026-11-21/x.txt", "in/2026-11-22/a.csv"):
        s3_server.put_object(Bucket="exports", Key=key, Body=CSV.encode())
    assert storage.expand_sources(["s3://exports/in/2026-11-21/*.csv", "s3://exports/in/*/a.csv"], "aws_default") == [
        "s3://exports/in/2026-11-21/a.csv", "s3://exports/in/2026-11-21/b.csv",
        "s3://exports/in/2026-11-21/a.csv", "s3://exports/in/2026-11-22/a.csv"]
    assert storage.expand_sources("s3://exports/in/none.csv") == ["s3://exports/in/none.csv"]  # no request
    with pytest.raises(FileNotFoundError, match=r"no file matches 's3://exports/out/\*\.csv'"):
        storage.expand_sources("s3://exports/out/*.csv", "aws_default")


def test_s3_missing_object_is_file_not_found(s3_server):
    s3_server.create_bucket(Bucket="exports")
    with pytest.raises(FileNotFoundError):
        with storage.open_binary("s3://exports/none.csv", "aws_default") as fh:
            fh.read(1)


def test_s3_object_is_streamed_in_blocks_never_read_whole(s3_server, monkeypatch):
    from s3fs.core import S3File

    size = 3 * storage.BLOCK_SIZE + 12345
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    s3_server.create_bucket(Bucket="exports")
    s3_server.put_object(Bucket="exports", Key="big.bin", Body=body)
    fetched: list[int] = []
    fetch = S3File._fetch_range

    def counting(self, start, end):
        fetched.append(end - start)
        return fetch(self, start, end)

    monkeypatch.setattr(S3File, "_fetch_range", counting)
    chunk = 64 * 1024
    with storage.open_binary("s3://exports/big.bin", "aws_default") as fh:
        assert fh.read(chunk) == body[:chunk]
        assert sum(fetched) <= storage.BLOCK_SIZE + chunk  # one block ahead, not the object
        got = bytearray(body[:chunk])
        while piece := fh.read(chunk):
            got += piece
    assert bytes(got) == body
    assert len(fetched) >= 3 and max(fetched) <= storage.BLOCK_SIZE + chunk


def test_importing_storage_loads_nothing_heavy():
    code = ("import sys, airflow_provider_adtech.utils.storage\n"
            "print([m for m in ('airflow', 'boto3', 'botocore', 's3fs', 'fsspec', 'upath') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_s3_without_s3fs_names_the_extra_before_reading(monkeypatch):
    monkeypatch.setitem(sys.modules, "s3fs", None)  # import s3fs -> ImportError
    monkeypatch.setenv("AIRFLOW_CONN_AWS_NO_S3FS", '{"conn_type": "aws"}')
    with pytest.raises(ImportError, match=r'^s3://exports/in\.csv: no file system for s3:// .*'
                                          r'pip install "airflow-provider-adtech\[s3\]"$'):
        with storage.open_binary("s3://exports/in.csv", "aws_no_s3fs"):
            pass
