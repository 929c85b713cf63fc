"""Small server-side key-value stores with expiry and an atomic take: Redis in production, files on a laptop.

Sign-in flow state lives here rather than in the Flask session, because the session cookie (SameSite=Lax)
is not sent on Microsoft's cross-site form_post back to the callback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, Protocol

import redis
from cachelib.file import FileSystemCache
from cachelib.serializers import FileSystemSerializer


class StoreUnavailable(Exception):
    """The store did not answer; callers turn this into a 503, never a 500."""


class _JsonFileSerializer(FileSystemSerializer):
    """JSON in and out; anything else in a file (a planted pickle) reads as absent."""

    def dump(self, value: Any, f: IO[bytes], protocol: int = 0) -> None:
        f.write(json.dumps(value, separators=(",", ":")).encode())

    def load(self, f: Any) -> Any:
        try:
            return json.loads(f.read())
        except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
            return None


class JsonFileSystemCache(FileSystemCache):
    """cachelib's file cache with JSON instead of its default pickle: a file someone planted is data, never code."""

    serializer = _JsonFileSerializer()


class ExpiringStore(Protocol):
    def put(self, key: str, value: dict, ttl_seconds: int) -> None: ...
    def take(self, key: str) -> dict | None: ...
    def ping(self) -> None: ...


class RedisStore:
    """Keys under a prefix in Redis; ``take`` is GETDEL, so two callbacks can never both win."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def put(self, key: str, value: dict, ttl_seconds: int) -> None:
        try:
            self._client.set(self._prefix + key, json.dumps(value), ex=ttl_seconds)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    def take(self, key: str) -> dict | None:
        try:
            raw = self._client.getdel(self._prefix + key)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        return _decode(raw)

    def ping(self) -> None:
        try:
            self._client.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc


class FileStore:
    """Files in a folder (one machine, any number of processes); ``take`` wins only for the process
    whose delete succeeds, which the file system makes atomic."""

    def __init__(self, folder: Path, prefix: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._cache = JsonFileSystemCache(str(folder), threshold=5000, mode=0o600)
        self._prefix = prefix
        self._folder = folder

    def put(self, key: str, value: dict, ttl_seconds: int) -> None:
        if not self._cache.set(self._prefix + key, json.dumps(value), timeout=ttl_seconds):
            raise StoreUnavailable(f"could not write to {self._folder}")

    def take(self, key: str) -> dict | None:
        raw = self._cache.get(self._prefix + key)
        if raw is None or not self._cache.delete(self._prefix + key):
            return None
        return _decode(raw)

    def ping(self) -> None:
        probe = self._folder / ".ready-probe"
        try:
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise StoreUnavailable(f"{self._folder} is not writable: {exc}") from exc


def _decode(raw: bytes | str | None) -> dict | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, TypeError):
        return None  # corrupt entries are treated as absent, never as an exception
    return value if isinstance(value, dict) else None
