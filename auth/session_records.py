"""Writing and ending stored sessions so that an ended session never comes back (ASVS 7.4.1).

A request reads its session, works, then writes it back. When a sign-out deletes the session in between, a
plain write would re-create it, outside the sid and user index, where even "sign out everywhere" cannot find
it. So the stores here keep three rules, in Redis and in files alike:

- a session that was loaded is only overwritten while it still exists (``SET ... XX``); a new one only
  created where none exists (``NX``);
- ending a session leaves a short-lived tombstone under its id, and no write lands on a tombstoned id: in
  Redis the check and the write are one Lua script, in files the write is checked after it is made and undone
  (the ender writes the tombstone before it deletes, so one of the two always sees the other);
- "sign out everywhere" stamps the user: a session signed in before the stamp is void at its next write,
  wherever it is and whether or not any index still knows it.

Reads need no extra round trip in Redis: a tombstoned id has no key, because no write can make one.
"""

from __future__ import annotations

from pathlib import Path

import redis

from auth.stores import JsonFileSystemCache, StoreUnavailable

# Longer than any request can be in flight (gunicorn's timeout is far shorter): a write that read the session
# before it ended is refused for this long, and after it the session key has long been gone.
TOMBSTONE_SECONDS = 15 * 60
ENDED = b"1"

# KEYS[1] the session, KEYS[2] its tombstone; ARGV[1] the data, ARGV[2] the TTL in ms, ARGV[3] XX or NX.
_WRITE_UNLESS_ENDED = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], ARGV[3]) then return 1 end
return 0
"""


def tombstone_key(session_key: str) -> str:
    """The tombstone of ``session_key``; the hash tag puts it in the session key's Redis Cluster slot."""
    return "{" + session_key + "}:ended"


def void_key(tenant_id: str, object_id: str) -> str:
    return f"portal:void-before:{tenant_id}:{object_id}"


def voided(stamp: object, signed_in_at: float | None) -> bool:
    """Whether a session signed in at ``signed_in_at`` is void under the user's "everywhere" ``stamp``."""
    if stamp is None or signed_in_at is None:
        return False
    if isinstance(stamp, bytes):
        stamp = stamp.decode("ascii", "replace")
    try:
        return float(signed_in_at) <= float(stamp) if isinstance(stamp, int | float | str) else True
    except ValueError:
        return True  # a stamp that cannot be read: fail closed


class RedisSessionRecords:
    """Session keys in Redis, written and ended by the rules above."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._write = client.register_script(_WRITE_UNLESS_ENDED)

    def write(self, key: str, data: bytes, ttl_seconds: int, *, existing: bool,
              owner: tuple[str, str] | None, signed_in_at: float | None) -> bool:
        """Store ``data`` unless the session was ended meanwhile (or voided); True when it was written."""
        if owner is not None and voided(self._client.get(void_key(*owner)), signed_in_at):
            self.end([key])
            return False
        mode = "XX" if existing else "NX"
        written = self._write(keys=[key, tombstone_key(key)], args=[data, ttl_seconds * 1000, mode])
        return bool(written)

    def end(self, keys: list[str]) -> None:
        """Tombstone, then delete: in this order, a racing write sees the tombstone or is deleted after it."""
        if not keys:
            return
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(tombstone_key(key), ENDED, ex=TOMBSTONE_SECONDS)
                    pipe.delete(key)
                pipe.execute()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    def void_before(self, owner: tuple[str, str], when: float, ttl_seconds: int) -> None:
        """Every session of ``owner`` signed in at or before ``when`` is void from now on."""
        try:
            self._client.set(void_key(*owner), repr(float(when)), ex=ttl_seconds)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc


class FileSessionRecords:
    """The same rules for session files (one machine, any number of processes)."""

    def __init__(self, folder: Path) -> None:
        self.cache = JsonFileSystemCache(str(folder), threshold=10000, mode=0o600)
        self._folder = folder

    def read(self, key: str) -> object:
        """The stored data, or None when absent or tombstoned (the file may outlive its tombstone's check)."""
        if self.cache.has(tombstone_key(key)):
            return None
        return self.cache.get(key)

    def write(self, key: str, data: dict, ttl_seconds: int, *, existing: bool,
              owner: tuple[str, str] | None, signed_in_at: float | None) -> bool:
        if self._ended(key, owner, signed_in_at):
            return False
        if existing != self.cache.has(key):
            return False  # XX on a session that is gone, or NX where one exists
        self.cache.set(key, data, timeout=ttl_seconds)
        # Checked after the write: an end that deleted the file before this write had tombstoned it first.
        if self._ended(key, owner, signed_in_at):
            self.cache.delete(key)
            return False
        return True

    def end(self, keys: list[str]) -> None:
        for key in keys:
            if not self.cache.set(tombstone_key(key), 1, timeout=TOMBSTONE_SECONDS):
                raise StoreUnavailable(f"could not write a tombstone for a session in {self._folder}")
            self.cache.delete(key)

    def void_before(self, owner: tuple[str, str], when: float, ttl_seconds: int) -> None:
        if not self.cache.set(void_key(*owner), float(when), timeout=ttl_seconds):
            raise StoreUnavailable(f"could not stamp the user in {self._folder}")

    def _ended(self, key: str, owner: tuple[str, str] | None, signed_in_at: float | None) -> bool:
        if self.cache.has(tombstone_key(key)):
            return True
        return owner is not None and voided(self.cache.get(void_key(*owner)), signed_in_at)
