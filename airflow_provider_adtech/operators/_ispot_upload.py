"""Sending iSpot upload parts through the hook, several at a time, each part's status kept in the summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def upload_parts(hook: Any, parts: list[Any], summary: dict[str, Any], *, parallel: int,
                 fail_on_duplicate: bool, log: Any, clock: Callable[[], float]) -> None:
    """Upload every part, ``parallel`` at a time, in part order; fill in each part's status.

    Every part is one :meth:`IspotHook.upload_conversions` (its own retries, ``409`` ->
    ``already_uploaded``). After a part fails for good no new part starts; the error raised
    is that part's, with the status of every part added."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from airflow_provider_adtech.formats.progress import Progress

    outs = dict(zip((p.name for p in parts), summary["parts"]))
    failures: list[tuple[str, BaseException]] = []

    def upload(part: Any) -> Any:
        return hook.upload_conversions(part.path, part.name, fail_on_duplicate=fail_on_duplicate)

    progress = Progress("iSpot upload", total=sum(p.bytes for p in parts), parts=len(parts),
                        log=log.info, clock=clock)
    sent = {"bytes": 0, "parts": 0}

    def settle(part: Any, result: Any = None, error: BaseException | None = None) -> None:
        out = outs[part.name]
        sent["bytes"] += part.bytes
        sent["parts"] += 1
        progress.update(sent["bytes"], part=sent["parts"])
        if error is not None:
            out["status"] = "failed"
            failures.append((part.name, error))
            return
        out["status"] = result.status
        out["attempts"] = result.attempts
        summary[result.status] += 1

    queue = list(parts)
    if parallel == 1 or len(parts) == 1:
        while queue and not failures:
            part = queue.pop(0)
            try:
                settle(part, upload(part))
            except Exception as exc:
                settle(part, error=exc)
    else:
        hook.get_token()  # one token, before the uploads share it
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="ispot-upload") as pool:
            running: dict[Any, Any] = {}
            while True:
                while queue and not failures and len(running) < parallel:
                    nxt = queue.pop(0)
                    running[pool.submit(upload, nxt)] = nxt
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    part = running.pop(fut)
                    try:
                        settle(part, fut.result())
                    except Exception as exc:
                        settle(part, error=exc)
    if failures:
        for part in queue:
            outs[part.name]["status"] = "not_sent"
        _raise_upload_failure(failures, summary, log)
    progress.finish()


def _raise_upload_failure(failures: list[tuple[str, BaseException]], summary: dict[str, Any], log: Any) -> None:
    from airflow_provider_adtech.exceptions import VendorApiError

    statuses = ", ".join(f"{p['name']}: {p['status']}" for p in summary["parts"])
    log.error("iSpot upload failed for %s; every part: %s", ", ".join(n for n, _ in failures), statuses)
    name, exc = failures[0]
    others = "" if len(failures) == 1 else f"; also failed: {', '.join(n for n, _ in failures[1:])}"
    text = f"{name} failed{others}; parts: {statuses}"
    if isinstance(exc, VendorApiError):
        hint = f"{exc.hint}; {text}" if exc.hint else text
        try:
            again = type(exc)(exc.vendor, exc.endpoint, exc.status, exc.vendor_message, hint, body=exc.body)
        except TypeError:
            again = None
        if again is not None:
            raise again from exc
    exc.add_note(text)
    raise exc
