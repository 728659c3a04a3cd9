"""Opt-Intelligence operators: create or update placements and publishers from a payload file.

The report wait is :class:`~airflow_provider_adtech.sensors.oi.OiReportSensor` (also
importable from here, next to the other Opt-Intelligence tasks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator
from airflow_provider_adtech.sensors.oi import OiReportSensor

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class _OiRecordsOperator(BaseOperator):
    """Base of the payload-file operators (see :class:`OiPlacementOperator`)."""

    kind: ClassVar[str] = "placement"
    template_fields: Sequence[str] = ("payload_path", "action", "oi_conn_id", "aws_conn_id")
    template_ext: Sequence[str] = ()

    def __init__(
        self,
        *,
        payload_path: str,
        action: str = "create",
        oi_conn_id: str = "oi_default",
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.payload_path = payload_path
        self.action = action
        self.oi_conn_id = oi_conn_id
        self.aws_conn_id = aws_conn_id

    def _records(self) -> list[tuple[int, dict]]:
        from airflow_provider_adtech.exceptions import AdtechValidationError
        from airflow_provider_adtech.formats.errors import Problem, ValidationFailed
        from airflow_provider_adtech.formats.oi import validate_payload_file
        from airflow_provider_adtech.utils.storage import expand_sources, open_text

        source = str(self.payload_path or "")
        problems = []
        if self.action not in ("create", "update"):
            problems.append(Problem(f"oi.{self.kind}.action", f"action must be 'create' or 'update', got "
                                    f"{self.action!r}", f"{type(self).__name__} {self.task_id}", None, "action"))
        try:
            paths = expand_sources(source, self.aws_conn_id) if source else []
        except FileNotFoundError as exc:
            problems.append(Problem("oi.payload.missing", str(exc), source))
            paths = []
        if not source:
            problems.append(Problem("oi.payload.missing", "payload_path is required", type(self).__name__))
        if len(paths) > 1:
            problems.append(Problem("oi.payload.many", f"payload_path matches {len(paths)} files; give one",
                                    source))
        if problems:
            failed = ValidationFailed(problems, what=f"{self.kind} payload")
            raise AdtechValidationError(str(failed), failed.problems)
        warnings: list[str] = []
        try:
            with open_text(paths[0], self.aws_conn_id) as stream:
                records = validate_payload_file(stream, paths[0], self.kind, mode=self.action, warnings=warnings)
        except ValidationFailed as exc:
            raise AdtechValidationError(str(exc), exc.problems) from None
        for w in warnings:
            self.log.warning("Opt-Intelligence: %s", w)
        return records

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.providers.common.compat.sdk import AirflowFailException

        from airflow_provider_adtech.exceptions import VendorApiError
        from airflow_provider_adtech.hooks.oi import OiHook

        records = self._records()
        hook = OiHook(oi_conn_id=self.oi_conn_id)
        create = getattr(hook, f"create_{self.kind}")
        update = getattr(hook, f"update_{self.kind}")
        done: list[int | str] = []
        try:
            for line, rec in records:
                try:
                    if self.action == "create":
                        answer = create(rec)
                        done.append(answer.get("id") if isinstance(answer, dict) else None)
                    else:
                        update(rec["id"], rec)
                        done.append(rec["id"])
                except VendorApiError as exc:
                    # no answer, or 5xx: the vendor may have applied the request all the same
                    unknown = exc.status is None or exc.status >= 500
                    what = (f"{len(done)} {self.kind}(s) were already {self.action}d (ids {done}); "
                            if done else f"no {self.kind} was {self.action}d"
                            + (" before this one, which may or may not have been; " if unknown else "; "))
                    message = f"{self.payload_path} line {line}: {exc}. {what}"
                    if self.action == "create" and (done or unknown):
                        # creates are not idempotent: a retry would create the first ones again
                        raise AirflowFailException(message + "not retried, to avoid creating them twice") from exc
                    raise type(exc)(exc.vendor, exc.endpoint, exc.status, exc.vendor_message,
                                    f"{self.payload_path} line {line}; {what}{exc.hint}") from exc
        finally:
            hook.close()
        summary = {"kind": self.kind, "action": self.action, "source": str(self.payload_path),
                   "records": len(records), "ids": done}
        self.log.info("Opt-Intelligence: %s", summary)
        return summary


class OiPlacementOperator(_OiRecordsOperator):
    """Create or update Opt-Intelligence placements from a payload file.

    Every record is checked against the document's field rules before the first request
    (required fields on create, ``status_id`` 9 or 2 (1 = live is system only),
    ``time_period`` with ``max_impressions``, ``time_period_offer`` with
    ``max_impressions_offer``, types, unknown fields); all problems are reported at once
    with file, line and field, and nothing is sent.

    Creates are not idempotent: if the vendor refuses a record after others were
    created, the task fails without retry and names the ids already created.

    :param payload_path: ``.json`` (an object or an array), ``.jsonl``/``.ndjson`` or
        ``.csv`` file, local or ``s3://``. (templated)
    :param action: ``create`` or ``update`` (each record then carries its ``id``). (templated)
    :param oi_conn_id: Opt-Intelligence connection. (templated)
    :param aws_conn_id: connection of the object store a file URI names: an AWS
        connection for ``s3://``, else that of the scheme's provider (``gs://``, ``abfs://``...). (templated)
    """

    kind = "placement"


class OiPublisherOperator(_OiRecordsOperator):
    """Create or update Opt-Intelligence publishers from a payload file (``name`` and
    ``status_id`` 1 = active / 2 = inactive required on create); same checks and
    arguments as :class:`OiPlacementOperator`."""

    kind = "publisher"


__all__ = ["OiPlacementOperator", "OiPublisherOperator", "OiReportSensor"]
