"""Where access tokens live between task runs.

A token must outlive the process that obtained it: iSpot asks callers not to mint
a new 24-hour token before the current one expires, and every Airflow task runs in
its own process. Three backends, chosen per connection with the ``token_cache``
extra:

``file`` (default)
    One file per token under ``token_cache_dir`` (extra), or
    ``$ADTECH_TOKEN_CACHE_DIR``, or ``$AIRFLOW_HOME/adtech_token_cache``. Files are
    encrypted with Airflow's Fernet key (``[core] fernet_key``, through Airflow's own
    ``get_fernet()``) when one is configured, plain JSON otherwise; either way they are
    written ``0600`` atomically. The directory is created ``0700``; an existing one that
    group or others can access is set to ``0700``, or refused when that is not
    possible. An ``fcntl`` lock per token makes concurrent task processes on one
    machine wait for the one that is fetching, so they share a single token request.
    It needs no database access, so it works in every executor and in Airflow 3's task
    isolation; it is the default for that reason.
``variable``
    An Airflow Variable per token (``adtech_token__<key>``), so every worker of a
    Celery or Kubernetes deployment shares it. Airflow stores Variables
    Fernet-encrypted when ``[core] fernet_key`` is set, and the UI masks the value
    because the key contains ``token``. A short-lived lease Variable beside it
    (``adtech_lease__<key>``) is the cross-machine lock: when many tasks on several
    workers find the token missing or expired at the same moment, one of them fetches
    a new token and the others wait for it (see :class:`VariableTokenCache`).
``memory``
    Kept in the process only: a token per task run.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator


@dataclass
class Token:
    access_token: str
    expires_at: float
    refresh_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    obtained_at: float = field(default_factory=time.time)

    def valid(self, margin: float) -> bool:
        return bool(self.access_token) and time.time() < self.expires_at - margin

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> Token | None:
        try:
            data = json.loads(raw)
            return cls(**data)
        except (ValueError, TypeError):
            return None

    def __repr__(self) -> str:  # never print the token itself
        return f"Token(expires_at={self.expires_at:.0f}, refresh={'yes' if self.refresh_token else 'no'})"


class TokenCache:
    """Interface: get/set/delete by key, and a lock held while a token is fetched."""

    name = "abstract"

    def get(self, key: str) -> Token | None:
        raise NotImplementedError

    def set(self, key: str, token: Token) -> None:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        yield


class MemoryTokenCache(TokenCache):
    name = "memory"
    _store: dict[str, Token] = {}
    _locks: dict[str, threading.Lock] = {}
    _guard = threading.Lock()

    def get(self, key: str) -> Token | None:
        return self._store.get(key)

    def set(self, key: str, token: Token) -> None:
        self._store[key] = token

    def delete(self, key: str) -> None:
        self._store.pop(key, None)

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with self._guard:
            lk = self._locks.setdefault(key, threading.Lock())
        with lk:
            yield


def default_cache_dir() -> Path:
    env = os.environ.get("ADTECH_TOKEN_CACHE_DIR")
    if env:
        return Path(env)
    home = os.environ.get("AIRFLOW_HOME") or os.path.join(os.path.expanduser("~"), "airflow")
    return Path(home) / "adtech_token_cache"


#: prefix of a cache file encrypted with Airflow's Fernet key
FERNET_PREFIX = b"fernet:"


def _airflow_fernet() -> Any | None:
    """Airflow's Fernet (``airflow.models.crypto.get_fernet``) when ``[core] fernet_key`` is set, else None."""
    try:
        from airflow.providers.common.compat.sdk import conf

        if not conf.get("core", "fernet_key", fallback=""):
            return None
        from airflow.models.crypto import get_fernet
    except ImportError:  # no Airflow core on this machine: plain files
        return None
    return get_fernet()


class FileTokenCache(TokenCache):
    name = "file"

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory else default_cache_dir()
        self._thread_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._dir_checked = False

    def _ensure_dir(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._secure_dir()

    def _secure_dir(self) -> None:
        """Force the directory to ``0700`` when group or others can access it; refuse if impossible."""
        if self._dir_checked:
            return
        try:
            mode = self.directory.stat().st_mode & 0o777
        except FileNotFoundError:
            return
        if mode & 0o077:
            try:
                os.chmod(self.directory, 0o700)
            except OSError as exc:
                from airflow_provider_adtech.exceptions import AdtechError

                raise AdtechError(
                    f"token cache directory {self.directory} is accessible to group/others (mode "
                    f"{mode:04o}) and cannot be restricted to 0700 ({exc.strerror}); tokens are not stored "
                    "there. Use a directory this user owns (connection extra token_cache_dir or "
                    "$ADTECH_TOKEN_CACHE_DIR)") from None
        self._dir_checked = True

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> Token | None:
        try:
            self._secure_dir()
            raw = self._path(key).read_bytes()
        except OSError:
            return None
        fernet = _airflow_fernet()
        if raw.startswith(FERNET_PREFIX):
            if fernet is None:
                return None  # written under a Fernet key this process does not have: a miss
            from cryptography.fernet import InvalidToken

            try:
                return Token.from_json(fernet.decrypt(raw[len(FERNET_PREFIX):]).decode())
            except (InvalidToken, ValueError):
                return None  # another or a rotated-out key: a miss, a new token is fetched
        token = Token.from_json(raw.decode("utf-8", "replace"))
        if token is not None and fernet is not None:
            self.set(key, token)  # written before a key was configured: store it encrypted now
        return token

    def set(self, key: str, token: Token) -> None:
        self._ensure_dir()
        data = token.to_json().encode()
        fernet = _airflow_fernet()
        if fernet is not None:
            data = FERNET_PREFIX + fernet.encrypt(data)
        path = self._path(key)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def delete(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._path(key).unlink()

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        import fcntl

        self._ensure_dir()
        with self._guard:
            tl = self._thread_locks.setdefault(key, threading.Lock())
        with tl:
            fd = os.open(self.directory / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)


class AirflowVariables:
    """The Variable store of the running Airflow: ``airflow.sdk.Variable`` on Airflow 3 (the
    execution API, from a task), ``airflow.models.Variable`` on Airflow 2 (the metadata DB)."""

    @staticmethod
    def get(key: str) -> str | None:
        from airflow.providers.common.compat.sdk import Variable

        try:
            return Variable.get(key, None)
        except Exception:  # variable missing or API not reachable: behave as a miss
            return None

    @staticmethod
    def set(key: str, value: str, description: str) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.set(key, value, description=description)

    @staticmethod
    def delete(key: str) -> None:
        from airflow.providers.common.compat.sdk import Variable

        with contextlib.suppress(Exception):
            Variable.delete(key)


class VariableTokenCache(TokenCache):
    """Tokens in Airflow Variables, shared by every worker; a lease Variable as the lock.

    **Why a lease, and why this one.** Airflow gives tasks no atomic compare-and-set on
    Variables: on Airflow 3 a task reaches them only through the Task SDK
    (``Variable.get/set/delete`` over the execution API, where ``set`` is an upsert), on
    Airflow 2 through the same three calls on the metadata database. Database row locks,
    Redis or a Celery lock are not available to a task on both lines (nor under the
    Kubernetes executor). With atomic reads and writes and a bound on how long a write
    takes, Fischer's timed mutual-exclusion algorithm is enough:

    1. read the lease ``adtech_lease__<key>``; if a live one (``until`` not passed) names
       another owner, wait (jittered ``poll``) and read again;
    2. otherwise write ``{"owner": <me>, "until": now + lease_seconds}``, wait ``settle``
       seconds, and read it back: whoever's owner id is still there holds the lock. Every
       contender that read "free" wrote within ``settle`` (a Variable write takes
       milliseconds), so after ``settle`` the last write is final and names exactly one
       owner; the others see it and wait;
    3. the holder fetches the token, stores it, and deletes the lease if it is still its own.

    A holder that dies leaves a lease that expires after ``lease_seconds`` (longer than a
    token request with its retries). Waiting ends as soon as the token Variable changes
    (another worker stored a fresh token: the caller finds it valid and fetches nothing),
    the lease is free, or after ``wait_seconds`` (then the caller fetches anyway: a second
    token request is better than a failed task). ``get_token`` of the hooks reads the
    cache once before locking, so a valid token costs one Variable read and no lease.

    Requirements: Variable reads must be fresh (keep ``[secrets] use_cache`` off, its
    default) and the workers' clocks roughly in step (NTP: seconds, against a lease of
    ``lease_seconds``).

    :param store: object with ``get(key)``, ``set(key, value, description)`` and
        ``delete(key)``; Airflow's Variables by default.
    """

    name = "variable"
    prefix = "adtech_token__"
    lease_prefix = "adtech_lease__"
    #: seconds a lease lives unless released (a dead holder blocks no longer than this)
    lease_seconds = 60.0
    #: seconds between writing a lease and reading it back (>> a Variable write)
    settle = 0.5
    #: longest wait for another holder before fetching anyway
    wait_seconds = 120.0
    #: seconds between reads while waiting, jittered by up to the same amount
    poll = 0.25

    def __init__(self, store: Any = None) -> None:
        self.store = store if store is not None else AirflowVariables()

    def get(self, key: str) -> Token | None:
        raw = self.store.get(self.prefix + key)
        return Token.from_json(raw) if raw else None

    def set(self, key: str, token: Token) -> None:
        self.store.set(self.prefix + key, token.to_json(), "airflow-provider-adtech token cache")

    def delete(self, key: str) -> None:
        self.store.delete(self.prefix + key)

    def _lease(self, key: str) -> dict[str, Any] | None:
        raw = self.store.get(self.lease_prefix + key)
        try:
            lease = json.loads(raw) if raw else None
        except ValueError:
            return None
        if not isinstance(lease, dict) or float(lease.get("until", 0)) < time.time():
            return None  # none, unreadable or expired: free
        return lease

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        import random
        import socket
        import uuid

        me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        lease_key = self.lease_prefix + key
        token_at_start = self.store.get(self.prefix + key)
        deadline = time.monotonic() + self.wait_seconds
        held = False
        while True:
            lease = self._lease(key)
            if lease is None:
                lease = {"owner": me, "until": time.time() + self.lease_seconds}
                self.store.set(lease_key, json.dumps(lease), "airflow-provider-adtech token lease")
                time.sleep(self.settle)
                lease = self._lease(key)
                if lease is not None and lease.get("owner") == me:
                    held = True
                    break
            if self.store.get(self.prefix + key) != token_at_start:
                break  # another worker stored a new token meanwhile: use it
            if time.monotonic() > deadline:
                break
            time.sleep(self.poll + random.uniform(0, self.poll))
        try:
            yield
        finally:
            if held:
                lease = self._lease(key)
                if lease is not None and lease.get("owner") == me:
                    self.store.delete(lease_key)


def make_token_cache(kind: str | None, directory: str | None = None) -> TokenCache:
    kind = (kind or "file").lower()
    if kind == "file":
        return FileTokenCache(directory)
    if kind == "variable":
        return VariableTokenCache()
    if kind in ("memory", "none"):
        return MemoryTokenCache()
    raise ValueError(f"token_cache must be one of file, variable, memory; got {kind!r}")
