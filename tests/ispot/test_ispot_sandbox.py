"""The iSpot sandbox routes, driven with plain HTTP: they implement the document's answers
(not our client's habits)."""

from __future__ import annotations

import io
import zipfile

import pytest
import requests

from ispot_helpers import DOC_HEADER, csv_text, rows

pytestmark = pytest.mark.integration


def token(sandbox) -> str:
    creds = sandbox.credentials["ispot"]
    resp = requests.post(f"{sandbox.url}/v4/oauth2/token", data={
        "client_id": creds["client_id"], "client_secret": creds["client_secret"],
        "grant_type": "client_credentials"}, timeout=10)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    return body["access_token"]


def upload(sandbox, content: bytes | None, name: str = "conversions_2026-11-20_001.csv", field: str = "upload[file]",
           tok: str | None = "auto", **kw) -> requests.Response:
    headers = {}
    if tok:
        headers["Authorization"] = f"Bearer {token(sandbox) if tok == 'auto' else tok}"
    files = {field: (name, content, "text/csv")} if content is not None else None
    return requests.post(f"{sandbox.url}/v4/metrics/conversions", headers=headers, files=files, timeout=30, **kw)


GOOD = csv_text(rows(20), DOC_HEADER).encode()


@pytest.fixture(autouse=True)
def small_files(sandbox):
    sandbox.configure("ispot", min_bytes=0)


def test_token_needs_the_client_credentials_grant(sandbox):
    creds = sandbox.credentials["ispot"]
    wrong = requests.post(f"{sandbox.url}/v4/oauth2/token", data={
        "client_id": creds["client_id"], "client_secret": "x" * 40, "grant_type": "client_credentials"}, timeout=10)
    assert wrong.status_code == 401
    grant = requests.post(f"{sandbox.url}/v4/oauth2/token", data={
        "client_id": creds["client_id"], "client_secret": creds["client_secret"], "grant_type": "password"},
        timeout=10)
    assert grant.status_code == 400


def test_accepted_file_is_recorded_with_its_rows(sandbox):
    resp = upload(sandbox, GOOD)
    assert resp.status_code == 201
    assert resp.json()["message"] == "Uploaded. Our team will process your request soon! Thank you."
    state = sandbox.state()["ispot"]
    assert state["rows"] == 20 and state["files"][0]["file"] == "conversions_2026-11-20_001.csv"
    assert sandbox.journal.entries("ispot.upload")[0].meta["outcome"] == "accepted"


def test_without_a_valid_token_401(sandbox):
    assert upload(sandbox, GOOD, tok=None).status_code == 401
    resp = upload(sandbox, GOOD, tok="not-a-token")
    assert resp.status_code == 401 and resp.json()["message"] == "Unauthorized"


def test_not_multipart_is_the_content_type_error(sandbox):
    resp = requests.post(f"{sandbox.url}/v4/metrics/conversions", data=GOOD, timeout=10,
                         headers={"Authorization": f"Bearer {token(sandbox)}", "Content-Type": "text/csv"})
    assert resp.status_code == 400 and resp.json()["message"] == "The content type request is not valid."


def test_no_file_in_upload_file(sandbox):
    resp = upload(sandbox, GOOD, field="file")
    assert resp.status_code == 400
    assert resp.json()["message"] == "The request must contain a CSV format file to be imported."


def _multipart(sandbox, body: bytes, boundary: str | None = "b0undary") -> requests.Response:
    ctype = "multipart/form-data" + (f"; boundary={boundary}" if boundary else "")
    return requests.post(f"{sandbox.url}/v4/metrics/conversions", data=body, timeout=10,
                         headers={"Authorization": f"Bearer {token(sandbox)}", "Content-Type": ctype})


def _part(name: str, content: bytes, filename: str | None = None) -> bytes:
    disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    return f"--b0undary\r\nContent-Disposition: {disp}\r\n\r\n".encode() + content + b"\r\n"


def test_multipart_without_a_boundary_is_the_content_type_error(sandbox):
    resp = _multipart(sandbox, _part("upload[file]", GOOD, "c.csv") + b"--b0undary--\r\n", boundary=None)
    assert resp.status_code == 400 and resp.json()["message"] == "The content type request is not valid."
    assert sandbox.journal.entries("ispot.upload")[-1].meta["outcome"] == "content_type"


@pytest.mark.parametrize("body", [
    _part("upload[file]", GOOD, "c.csv")[:-40],  # cut short: no closing delimiter
    _part("upload[file]", GOOD) + b"--b0undary--\r\n",  # a form field, not a file
    _part("upload[file]", GOOD, "") + b"--b0undary--\r\n",  # a file part without a name
], ids=["cut-short", "no-filename", "empty-filename"])
def test_multipart_without_a_whole_named_file_is_no_file(sandbox, body):
    resp = _multipart(sandbox, body)
    assert resp.status_code == 400
    assert resp.json()["message"] == "The request must contain a CSV format file to be imported."
    assert sandbox.state()["ispot"]["files"] == []


def test_the_file_is_found_among_other_parts(sandbox):
    body = (_part("note", b"hello") + _part("other", b"x,y\r\n", "other.csv")
            + _part("upload[file]", GOOD, "conversions_2026-11-20_001.csv") + b"--b0undary--\r\n")
    resp = _multipart(sandbox, body)
    assert resp.status_code == 201, resp.text
    state = sandbox.state()["ispot"]
    assert state["rows"] == 20 and [f["file"] for f in state["files"]] == ["conversions_2026-11-20_001.csv"]
    assert sandbox.journal.entries("ispot.upload")[-1].meta["bytes"] == len(GOOD)


@pytest.mark.parametrize("content", [b"\xff\xfe\x00i\x00p", GOOD + b'"1.2.3.4","x"y\n'], ids=["binary", "bad-quote"])
def test_not_csv(sandbox, content):
    resp = upload(sandbox, content)
    assert resp.status_code == 400
    assert resp.json()["message"] == "The file cannot be processed because it is not in the required CSV file format."


def test_size_limits_default_to_the_document(sandbox):
    sandbox.vendors["ispot"].settings.pop("min_bytes")
    resp = upload(sandbox, GOOD)
    assert resp.status_code == 400 and resp.json()["message"] == ("The file is too small. The minimum file size "
                                                                  "allowed is 8 MB.")
    sandbox.configure("ispot", min_bytes=0, max_bytes=1000)
    resp = upload(sandbox, GOOD)
    assert resp.status_code == 400 and resp.json()["message"] == ("The file is too large. The maximum file size "
                                                                  "allowed is 200 MB.")
    assert sandbox.state()["ispot"]["files"] == []


def test_mandatory_headers_are_case_sensitive_and_configurable(sandbox):
    upper = GOOD.replace(b"ip,datetime", b"IP,datetime", 1)
    resp = upload(sandbox, upper)
    assert resp.status_code == 400
    assert resp.json()["message"] == "The content is not valid. Please validate the headers and content."
    sandbox.configure("ispot", mandatory_headers=["LATEST_IPADDRESS", "SITE_ID", "TIME_STAMP"])
    assert upload(sandbox, GOOD, name="a.csv").status_code == 400
    renamed = GOOD.replace(b"ip,datetime,siteid", b"LATEST_IPADDRESS,TIME_STAMP,SITE_ID", 1)
    assert upload(sandbox, renamed, name="b.csv").status_code == 201


def test_unquoted_values_and_ragged_rows_are_not_valid_content(sandbox):
    unquoted = GOOD + b'1.2.3.4,2026-11-20 00:00:00,TC-1234-5,web,purchase,,1,UA\n'
    assert upload(sandbox, unquoted, name="a.csv").json()["message"].startswith("The content is not valid")
    ragged = GOOD + b'"1.2.3.4","2026-11-20 00:00:00"\n'
    assert upload(sandbox, ragged, name="b.csv").json()["message"].startswith("The content is not valid")
    quoted = csv_text([dict(r, useragent="one line, \"quoted\"") for r in rows(3)], DOC_HEADER).encode()
    assert upload(sandbox, quoted, name="c.csv").status_code == 201
    # document: "Rows are newline separated."
    multiline = csv_text([dict(r, useragent="two\nlines, \"quoted\"") for r in rows(3)], DOC_HEADER).encode()
    assert upload(sandbox, multiline, name="d.csv").json()["message"].startswith("The content is not valid")


def test_same_name_same_day_is_409_and_only_the_first_kept(sandbox):
    assert upload(sandbox, GOOD).status_code == 201
    other = csv_text(rows(5), DOC_HEADER).encode()
    resp = upload(sandbox, other)
    assert resp.status_code == 409 and resp.json()["message"] == "The file already exists."
    state = sandbox.state()["ispot"]
    assert [f["rows"] for f in state["files"]] == [20] and state["duplicates"][0]["file"].endswith("_001.csv")


def test_zip_of_csv_files_is_opened(sandbox):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.csv", GOOD)
        zf.writestr("b.csv", csv_text(rows(4), DOC_HEADER))
    resp = requests.post(f"{sandbox.url}/v4/metrics/conversions", timeout=10,
                         headers={"Authorization": f"Bearer {token(sandbox)}"},
                         files={"upload[file]": ("day.zip", buf.getvalue(), "application/zip")})
    assert resp.status_code == 201
    (stored,) = sandbox.state()["ispot"]["files"]
    assert stored["rows"] == 24 and stored["members"] == ["a.csv", "b.csv"]
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("notes.txt", "hello")
    resp = requests.post(f"{sandbox.url}/v4/metrics/conversions", timeout=10,
                         headers={"Authorization": f"Bearer {token(sandbox)}"},
                         files={"upload[file]": ("bad.zip", bad.getvalue(), "application/zip")})
    assert resp.status_code == 400


def test_rate_limit_answers_429_with_retry_after(sandbox):
    sandbox.configure("ispot", rate_limit=2, rate_window=60)
    tok = token(sandbox)
    codes = [upload(sandbox, GOOD, name=f"{i}.csv", tok=tok) for i in range(3)]
    assert [r.status_code for r in codes] == [201, 201, 429]
    assert 1 <= int(codes[2].headers["Retry-After"]) <= 60
