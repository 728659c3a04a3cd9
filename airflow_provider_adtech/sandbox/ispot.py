"""iSpot emulation (document: ispot-tv-conversions-upload.txt).

Routes:

* ``POST /v4/oauth2/token``: client-credentials grant, 24-hour bearer tokens.
* ``POST /v4/metrics/conversions``: the upload. Checks, in the order of the document's
  response table: bearer token (401 "Unauthorized"), ``multipart/form-data`` ("The content
  type request is not valid."), a file in ``upload[file]`` ("The request must contain a
  CSV format file to be imported."), the size limits ("The file is too small. The minimum
  file size allowed is 8 MB." / "The file is too large. The maximum file size allowed is
  200 MB."), CSV format ("The file cannot be processed because it is not in the required
  CSV file format."), the mandatory headers and every value enclosed in double quotes
  ("The content is not valid. Please validate the headers and content."; also a record
  spanning lines: "Rows are newline separated."), and the name
  being new for the day (409 "The file already exists."). ``.zip`` files are opened and
  every CSV inside is checked.

Settings (``server.configure("ispot", ...)``): ``min_bytes`` (default 8,000,000),
``max_bytes`` (200,000,000), ``mandatory_headers`` (default the table's required columns;
the 400 message's ``["LATEST_IPADDRESS", "SITE_ID", "TIME_STAMP"]`` can be set instead),
``rate_limit`` (10 requests per ``rate_window`` 10 s on ``/v4/metrics``, then 429 with
``Retry-After``), ``token_ttl``.

The journal entry of every upload carries ``meta``: file name, bytes, rows, outcome.
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from typing import IO, Any

from airflow_provider_adtech.sandbox.vendor import VendorSandbox
from airflow_provider_adtech.sandbox.web import Request, Response, route

MSG_CREATED = "Uploaded. Our team will process your request soon! Thank you."
MSG_CONTENT_TYPE = "The content type request is not valid."
MSG_NO_FILE = "The request must contain a CSV format file to be imported."
MSG_NOT_CSV = "The file cannot be processed because it is not in the required CSV file format."
MSG_CONTENT = "The content is not valid. Please validate the headers and content."
MSG_TOO_SMALL = "The file is too small. The minimum file size allowed is 8 MB."
MSG_TOO_LARGE = "The file is too large. The maximum file size allowed is 200 MB."
MSG_UNAUTHORIZED = "Unauthorized"
MSG_EXISTS = "The file already exists."

#: the column table's "Required: Yes" columns (passthru only while testing)
TABLE_REQUIRED = ["ip", "useragent", "datetime", "siteid", "app", "type"]

_QUOTED_ROW = re.compile(rb'"[^"]*(?:""[^"]*)*"(?:,"[^"]*(?:""[^"]*)*")*(?:\r?\n|$)')


class _Invalid(Exception):
    def __init__(self, message: str, reason: str):
        self.message = message
        self.reason = reason
        super().__init__(reason)


def _check_csv(stream: IO[bytes], mandatory: list[str]) -> tuple[int, list[str]]:
    """Rows and header of one CSV; :class:`_Invalid` when iSpot would refuse it."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        header_line = text.readline()
        if not header_line.strip():
            raise _Invalid(MSG_NOT_CSV, "empty file")
        header = next(csv.reader([header_line]))
        missing = [h for h in mandatory if h not in header]
        if missing:
            raise _Invalid(MSG_CONTENT, "missing mandatory headers: " + ", ".join(missing))
        width = len(header)
        rows = 0
        reader = csv.reader(text, strict=True)
        for row in reader:
            rows += 1
            if len(row) != width:
                raise _Invalid(MSG_CONTENT, f"record {rows} has {len(row)} values, header has {width}")
            if reader.line_num != rows:
                # "Rows are newline separated": a record over several lines is not a row
                raise _Invalid(MSG_CONTENT, f"record {rows} spans lines (a line break inside a value)")
    except csv.Error as exc:
        raise _Invalid(MSG_NOT_CSV, f"CSV error: {exc}")
    except UnicodeDecodeError:
        raise _Invalid(MSG_NOT_CSV, "not UTF-8")
    if rows == 0:
        raise _Invalid(MSG_CONTENT, "no rows")
    return rows, header


def _check_quoted(stream: IO[bytes]) -> None:
    """Document: "All values (except for headers) enclosed in doublequotes"."""
    stream.readline()  # the header
    buf = b""
    eof = False
    while True:
        if not eof:
            chunk = stream.read(4 << 20)
            if chunk:
                buf += chunk
            else:
                eof = True
        pos = 0
        n = len(buf)
        while pos < n:
            m = _QUOTED_ROW.match(buf, pos)
            if m is None or m.end() == pos:
                if eof or n - pos > (1 << 20):
                    raise _Invalid(MSG_CONTENT, "a value is not enclosed in double quotes")
                break
            if m.end() == n and not eof and not buf.endswith(b"\n"):
                break
            pos = m.end()
        buf = buf[pos:]
        if eof:
            if buf:
                raise _Invalid(MSG_CONTENT, "a value is not enclosed in double quotes")
            return


class IspotSandbox(VendorSandbox):
    name = "ispot"
    #: "your token is valid for a period of 24 hours"
    token_ttl = 86400.0

    def reset(self) -> None:
        super().reset()
        #: (account, upload day, file name) -> accepted file record: every account (advertiser)
        #: has its own files, a name repeats only within one account
        self.files: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.duplicates: list[dict[str, Any]] = []

    def state(self) -> dict[str, Any]:
        with self.lock:
            files = list(self.files.values())
            return {
                "files": files,
                "rows": sum(f["rows"] for f in files),
                "duplicates": list(self.duplicates),
            }

    @route("POST", "/v4/oauth2/token", "ispot.token")
    def token(self, req: Request) -> Response:
        """Client-credentials grant: form ``client_id``, ``client_secret``, ``grant_type``."""
        form = req.form()
        if form.get("grant_type") != "client_credentials":
            return Response.json(400, {"error": "unsupported_grant_type",
                                       "message": "grant_type must be client_credentials"})
        account = self.account_for(client_id=form.get("client_id"), client_secret=form.get("client_secret"))
        req.meta["token_account"] = account
        if account is None:
            return Response.json(401, {"error": "invalid_client", "message": "Unauthorized"})
        tok = self.issue_token(subject=form["client_id"], account=account)
        ttl = int(round(tok.expires_at - time.time()))
        return Response.json(200, {"token_type": "Bearer", "expires_in": ttl, "access_token": tok.value})

    @route("POST", "/v4/metrics/conversions", "ispot.upload")
    def upload(self, req: Request) -> Response:
        meta = req.meta
        bearer = self.bearer_ok(req)
        if not bearer:
            meta["outcome"] = "unauthorized"
            return Response.json(401, {"message": MSG_UNAUTHORIZED})
        account = self.account_of(bearer)
        self.note_account(req, account)
        wait = self.rate_limited("metrics", int(self.settings.get("rate_limit", 10)),
                                 float(self.settings.get("rate_window", 10.0)))
        if wait is not None:
            meta["outcome"] = "rate_limited"
            return Response.json(429, {"message": "Too Many Requests"},
                                 {"Retry-After": str(max(1, round(wait)))})
        mimetype, options = req.content_type()
        if mimetype != "multipart/form-data" or not options.get("boundary"):
            meta["outcome"] = "content_type"
            return Response.json(400, {"message": MSG_CONTENT_TYPE})
        try:
            upload = req.upload("upload[file]")
        except ValueError:  # a malformed or cut-short body carries no file
            upload = None
        if upload is None or not upload.filename:
            meta["outcome"] = "no_file"
            return Response.json(400, {"message": MSG_NO_FILE})
        fname = upload.filename
        with upload.stream as part:
            size = part.seek(0, 2)
            meta.update(file=fname, bytes=size)
            min_bytes = int(self.settings.get("min_bytes", 8_000_000))
            max_bytes = int(self.settings.get("max_bytes", 200_000_000))
            if size < min_bytes:
                meta["outcome"] = "too_small"
                return Response.json(400, {"message": MSG_TOO_SMALL})
            if size > max_bytes:
                meta["outcome"] = "too_large"
                return Response.json(400, {"message": MSG_TOO_LARGE})
            mandatory = list(self.settings.get("mandatory_headers", TABLE_REQUIRED))
            try:
                rows, headers, members = self._inspect(part, fname, mandatory)
            except _Invalid as exc:
                meta["outcome"] = exc.reason
                return Response.json(400, {"message": exc.message})
        day = time.strftime("%Y-%m-%d", time.gmtime())
        with self.lock:
            if (account, day, fname) in self.files:
                meta["outcome"] = "duplicate"
                self.duplicates.append({"account": account, "day": day, "file": fname, "bytes": size})
                return Response.json(409, {"message": MSG_EXISTS})
            self.files[(account, day, fname)] = {"account": account, "day": day, "file": fname, "bytes": size, "rows": rows,
                                        "columns": headers, "members": members,
                                        "passthru": "passthru" in headers}
        meta.update(outcome="accepted", rows=rows)
        return Response.json(201, {"message": MSG_CREATED})

    def _inspect(self, part: IO[bytes], fname: str, mandatory: list[str]) -> tuple[int, list[str], list[str]]:
        part.seek(0)
        magic = part.read(4)
        part.seek(0)
        if magic.startswith(b"PK\x03\x04") or fname.lower().endswith(".zip"):
            try:
                zf = zipfile.ZipFile(part)
            except zipfile.BadZipFile:
                raise _Invalid(MSG_NOT_CSV, "bad zip")
            rows = 0
            headers: list[str] = []
            members = []
            with zf:
                names = [n for n in zf.namelist() if not n.endswith("/")]
                if not names:
                    raise _Invalid(MSG_NOT_CSV, "empty zip")
                for n in names:
                    if not n.lower().endswith(".csv"):
                        raise _Invalid(MSG_NOT_CSV, f"zip member {n} is not a .csv")
                    with zf.open(n) as member:
                        r, headers = _check_csv(member, mandatory)
                    with zf.open(n) as member:
                        _check_quoted(member)
                    rows += r
                    members.append(n)
            return rows, headers, members
        if not fname.lower().endswith(".csv"):
            raise _Invalid(MSG_NOT_CSV, "not a .csv name")
        rows, headers = _check_csv(_NoClose(part), mandatory)
        part.seek(0)
        _check_quoted(_NoClose(part))
        return rows, headers, []


class _NoClose(io.RawIOBase):
    """Lets a TextIOWrapper read a file without closing it afterwards."""

    def __init__(self, fh: IO[bytes]):
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self._fh.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size: int = -1) -> bytes:  # type: ignore[override]
        return self._fh.readline(size)

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        return self._fh.read(size)


__all__ = ["IspotSandbox"]
