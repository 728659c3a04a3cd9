"""Opt-Intelligence publishers and placements: their checks, and one flow for reading, creating and saving either."""

from __future__ import annotations

import time
from typing import Any, Callable

from airflow_provider_adtech.sandbox.web import Request, Response, route

#: an id path, with or without the trailing ``/`` (the document shows both)
_ID = {"strict_slashes": False}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _saved(what: str, ident: int) -> Response:
    return Response.json(200, {"status": "Save Successful", "message": f"{what} successfully saved", "id": ident})


class OiRecords:
    """The publisher and placement routes of :class:`~airflow_provider_adtech.sandbox.oi.OiSandbox`."""

    # ------------------------------------------------------------------ one flow for both
    @staticmethod
    def retrieve_failed(what: str, ident: Any) -> Response:
        return Response.json(400, {"status": "Retrieve Failed", "message": f"{what} {ident} could not be found"})

    @staticmethod
    def save_failed(message: str) -> Response:
        return Response.json(400, {"status": "Save Failed", "message": message})

    @staticmethod
    def _path_id(req: Request) -> int | None:
        raw = req.params.get("id", "")
        return int(raw) if raw.isdigit() else None

    @staticmethod
    def _body(req: Request) -> tuple[dict | None, Response | None]:
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            return None, Response.json(400, {"status": "Save Failed", "message": "the body must be JSON"})
        if not isinstance(body, dict):
            return None, Response.json(400, {"status": "Save Failed", "message": "the body must be a JSON object"})
        return body, None

    def _refused(self, req: Request, problem: str) -> Response:
        req.meta["refused"] = problem
        return self.save_failed(problem)

    def _list(self, req: Request, table: dict[int, dict], out: Callable[[dict], dict]) -> Response:
        """GET of every row of ``table`` (a bare JSON array)."""
        if not self.authorized(req):
            return self.unauthorized()
        with self.lock:
            return Response.json(200, [out(row) for row in table.values()])

    def _read(self, req: Request, what: str, table: dict[int, dict], out: Callable[[dict], dict]) -> Response:
        """GET of one ``what`` by the path's id."""
        if not self.authorized(req):
            return self.unauthorized()
        rid = self._path_id(req)
        with self.lock:
            row = table.get(rid) if rid is not None else None
            if row is None:
                return self.retrieve_failed(what, req.params["id"])
            return Response.json(200, out(row))

    def _create(self, req: Request, what: str, table: dict[int, dict], counter: str,
                check: Callable[[dict], str | None], row: Callable[[int, dict, str], dict],
                noted: tuple[str, ...]) -> Response:
        """POST of a new ``what``: ``check`` the body, number it from ``self.<counter>``, store ``row``."""
        if not self.authorized(req):
            return self.unauthorized()
        body, err = self._body(req)
        if err:
            return err
        with self.lock:
            problem = check(body)
            if problem:
                return self._refused(req, problem)
            rid = getattr(self, counter)
            setattr(self, counter, rid + 1)
            table[rid] = row(rid, body, _now())
            req.meta.update(id=rid, **{k: body[k] for k in noted})
        return _saved(what, rid)

    def _save(self, req: Request, what: str, table: dict[int, dict],
              check: Callable[[dict, dict, int], str | None]) -> Response:
        """PUT of the path's ``what``: ``check(body, current, id)``, then apply the body."""
        if not self.authorized(req):
            return self.unauthorized()
        rid = self._path_id(req)
        body, err = self._body(req)
        if err:
            return err
        with self.lock:
            row = table.get(rid) if rid is not None else None
            if row is None:
                return self.retrieve_failed(what, req.params["id"])
            problem = check(body, row, rid)
            if problem:
                return self._refused(req, problem)
            row.update(body)
            row["modify_date"] = _now()
            req.meta.update(id=rid, changed=sorted(body))
        return _saved(what, rid)

    # ------------------------------------------------------------------ publishers
    def _check_publisher(self, body: dict, creating: bool, own_id: int | None = None) -> str | None:
        allowed = {"name", "status_id", "category_id", "key"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            return f"fields cannot be set: {', '.join(unknown)}"
        if creating:
            missing = [f for f in ("name", "status_id") if body.get(f) is None]
            if missing:
                return f"required: {', '.join(missing)}"
        if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
            return "name must be a non-empty string"
        if "status_id" in body and body["status_id"] not in (1, 2):
            return "status_id must be 1 (active) or 2 (inactive)"
        if "category_id" in body and body["category_id"] is not None and not _whole(body["category_id"]):
            return "category_id must be a number"
        if "key" in body and body["key"] is not None and not isinstance(body["key"], str):
            return "key must be a string"
        if "name" in body:
            for pid, pub in list(self.publishers.items()) + list(self.deleted_publishers.items()):
                if pid != own_id and pub["name"] == body["name"]:
                    gone = " (by a deleted publisher: names of deleted publishers cannot be reused)" \
                        if pid in self.deleted_publishers else ""
                    return f"name {body['name']!r} is already in use{gone}"
        return None

    @route("GET", "/v1/publishers/", "oi.publishers.list")
    def list_publishers(self, req: Request) -> Response:
        return self._list(req, self.publishers, dict)

    @route("GET", "/v1/publishers/<id>", "oi.publishers.get", **_ID)
    def get_publisher(self, req: Request) -> Response:
        return self._read(req, "Publisher", self.publishers, dict)

    @route("POST", "/v1/publishers/", "oi.publishers.create", strict_slashes=False)
    def create_publisher(self, req: Request) -> Response:
        return self._create(
            req, "Publisher", self.publishers, "next_publisher_id",
            lambda body: self._check_publisher(body, creating=True),
            lambda pid, body, now: {"id": pid, "name": body["name"], "create_date": now, "modify_date": now,
                                    "status_id": body["status_id"], "category_id": body.get("category_id"),
                                    "key": body.get("key") or ""},
            ("name",))

    @route("PUT", "/v1/publishers/<id>", "oi.publishers.update", **_ID)
    def update_publisher(self, req: Request) -> Response:
        return self._save(req, "Publisher", self.publishers,
                          lambda body, pub, pid: self._check_publisher(body, creating=False, own_id=pid))

    @route("DELETE", "/v1/publishers/<id>", "oi.publishers.delete", **_ID)
    def delete_publisher(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        pid = self._path_id(req)
        with self.lock:
            pub = self.publishers.pop(pid, None) if pid is not None else None
            if pub is None:
                return Response.json(403, {"status": "Delete Failed",
                                           "message": f"Publisher {req.params['id']} cannot be deleted"})
            pub["modify_date"] = _now()
            self.deleted_publishers[pid] = pub
            req.meta.update(id=pid)
        return Response.json(200, {"status": "Delete Successful", "message": "Publisher successfully deleted",
                                   "id": pid})

    # ------------------------------------------------------------------ placements
    _PLACEMENT_FIELDS = {
        "publisher_id": "id", "name": "str", "status_id": "status", "category_id": "id", "layout_id": "id",
        "offer_format_id": "id", "max_offers": "id", "max_impressions": "id", "max_impressions_time": "id",
        "time_period": "id", "max_impressions_offer": "id", "max_impressions_time_offer": "id",
        "time_period_offer": "id", "parameter_share": "bool", "comment": "str",
    }
    _PLACEMENT_REQUIRED = ("publisher_id", "name", "status_id", "layout_id", "offer_format_id", "max_offers",
                           "parameter_share")

    def _check_placement(self, body: dict, current: dict | None) -> str | None:
        unknown = sorted(set(body) - set(self._PLACEMENT_FIELDS))
        if unknown:
            return f"fields cannot be set: {', '.join(unknown)}"
        merged = {**(current or {}), **body}
        missing = [f for f in self._PLACEMENT_REQUIRED if merged.get(f) is None]
        if missing:
            return f"required: {', '.join(missing)}"
        for name, value in body.items():
            kind = self._PLACEMENT_FIELDS[name]
            if value is None:
                continue
            if kind == "id" and not _whole(value):
                return f"{name} must be a number"
            if kind == "str" and not isinstance(value, str):
                return f"{name} must be a string"
            if kind == "bool" and not isinstance(value, bool):
                return f"{name} must be true or false"
            if kind == "status" and value not in (9, 2):
                return "status_id must be 9 (add to Approval Queue) or 2 (off); 1 (live) is system only"
        if merged.get("max_impressions") is not None and merged.get("time_period") is None:
            return "time_period is required when max_impressions is in use"
        if merged.get("max_impressions_offer") is not None and merged.get("time_period_offer") is None:
            return "time_period_offer is required when max_impressions_offer is in use"
        if "publisher_id" in body and body["publisher_id"] not in self.publishers:
            return f"publisher {body['publisher_id']} does not exist"
        return None

    @staticmethod
    def _placement_out(pl: dict) -> dict:
        out = {k: v for k, v in pl.items() if v is not None}
        out["id"] = str(pl["id"])  # the document's GET example answers "id": "98987676"
        return out

    @route("GET", "/v1/placements/", "oi.placements.list")
    def list_placements(self, req: Request) -> Response:
        return self._list(req, self.placements, self._placement_out)

    @route("GET", "/v1/placements/<id>", "oi.placements.get", **_ID)
    def get_placement(self, req: Request) -> Response:
        return self._read(req, "Placement", self.placements, self._placement_out)

    @route("POST", "/v1/placements/", "oi.placements.create", strict_slashes=False)
    def create_placement(self, req: Request) -> Response:
        return self._create(
            req, "Placement", self.placements, "next_placement_id",
            lambda body: self._check_placement(body, None),
            lambda pid, body, now: {"id": pid, **body, "create_date": now, "modify_date": now},
            ("name", "publisher_id"))

    @route("PUT", "/v1/placements/<id>", "oi.placements.update", **_ID)
    def update_placement(self, req: Request) -> Response:
        return self._save(req, "Placement", self.placements, lambda body, pl, pid: self._check_placement(body, pl))
