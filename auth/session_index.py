"""Which portal sessions belong to an authority ``sid`` or to a user, so they can be ended from outside.

Front-channel logout arrives in an iframe that may carry no portal cookie; "sign out everywhere" ends
sessions in other browsers. Both find the sessions here; ``portal explain --user`` finds a user's sessions
by username (display only: never an identity, just where an operator starts). Entries expire with the longest
session lifetime; a stale entry only points at a session that is already gone.
"""

from __future__ import annotations

import json
from pathlib import Path

import redis

from auth.stores import JsonFileSystemCache, StoreUnavailable


class RedisSessionIndex:
    def __init__(self, client: redis.Redis, prefix: str = "portal:index:") -> None:
        self._client = client
        self._prefix = prefix

    def add(self, key: str, session_id: str, ttl_seconds: int) -> None:
        try:
            with self._client.pipeline() as pipe:
                pipe.sadd(self._prefix + key, session_id)
                pipe.expire(self._prefix + key, ttl_seconds)
                pipe.execute()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    def take_all(self, key: str) -> list[str]:
        try:
            with self._client.pipeline() as pipe:  # MULTI/EXEC: read and delete as one step
                pipe.smembers(self._prefix + key)
                pipe.delete(self._prefix + key)
                members, _ = pipe.execute()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)

    def members(self, key: str) -> list[str]:
        try:
            members = self._client.smembers(self._prefix + key)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)


class FileSessionIndex:
    """For the single-machine embedded default; not atomic across processes, which a laptop does not need."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._cache = JsonFileSystemCache(str(folder), threshold=10000, mode=0o600)

    def add(self, key: str, session_id: str, ttl_seconds: int) -> None:
        members = set(json.loads(self._cache.get(key) or "[]"))
        members.add(session_id)
        self._cache.set(key, json.dumps(sorted(members)), timeout=ttl_seconds)

    def take_all(self, key: str) -> list[str]:
        members = self.members(key)
        self._cache.delete(key)
        return members

    def members(self, key: str) -> list[str]:
        return json.loads(self._cache.get(key) or "[]")


def sid_key(sid: str) -> str:
    return f"sid:{sid}"


def user_key(tenant_id: str, object_id: str) -> str:
    return f"user:{tenant_id}:{object_id}"


def username_key(username: str) -> str:
    return f"username:{username.casefold()}"
