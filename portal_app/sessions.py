"""Server-side sessions through Flask-Session: Redis in production, files on a laptop.

The stock interfaces are extended in two ways: a store that does not answer marks the request so it gets
a 503 "try again" page instead of a 500, and stored data that cannot be decoded gives a fresh session.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import redis
from cachelib.file import FileSystemCache
from flask import Flask, current_app, g
from flask_session.base import ServerSideSessionInterface
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

from auth.session_index import FileSessionIndex, RedisSessionIndex, sid_key, user_key
from auth.stores import FileStore, RedisStore, StoreUnavailable
from auth.tokens import Identity
from portal_app.redis_connect import is_cluster, redis_client
from portal_app.settings import PortalSettings

log = logging.getLogger(__name__)
SESSION_KEY_PREFIX = "portal:session:"


class _ResilientMixin:
    """Turns store failures into a flag (and a 503 later) and corrupt data into a fresh session."""

    def _retrieve_session_data(self, store_id: str):
        try:
            return super()._retrieve_session_data(store_id)
        except redis.RedisError as exc:
            g.session_store_error = str(exc)
            log.error("session store unavailable while reading a session: %s; is Redis up?", exc)
            return None
        except Exception as exc:  # noqa: BLE001 - any decode failure means "no usable session"
            log.warning("discarded an undecodable session (%s): a fresh session was started", type(exc).__name__)
            return None

    def save_session(self, app, session, response):
        if getattr(g, "session_store_error", None):
            return  # never write over a session we could not read
        try:
            super().save_session(app, session, response)
        except redis.RedisError as exc:
            log.error("session store unavailable while saving a session: %s; is Redis up?", exc)
            response.status_code = 503
            response.headers["Retry-After"] = "10"


class PortalRedisSessionInterface(_ResilientMixin, RedisSessionInterface):
    def __init__(self, app: Flask, client, **kwargs) -> None:
        # Flask-Session insists on a plain ``Redis``; a RedisCluster client serves the same get/set/delete.
        self.client = client
        ServerSideSessionInterface.__init__(self, app, **kwargs)


class PortalFileSessionInterface(_ResilientMixin, CacheLibSessionInterface):
    pass


def init_app(app: Flask, settings: PortalSettings) -> None:
    """Configure the session cookie and the server-side store, and the store for sign-in flows."""
    secure = settings.uses_https
    app.config.update(
        SESSION_COOKIE_NAME="__Host-portal_session" if secure else "portal_session",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.idle_timeout_minutes),
        SESSION_PERMANENT=True,
        # One store read per page view and no write: the idle clock (auth.user_session.touch) modifies the
        # session at most once a minute, and only then is it written back with a fresh TTL.
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_KEY_PREFIX=SESSION_KEY_PREFIX,
        SESSION_ID_LENGTH=32,
    )
    kwargs = dict(key_prefix=SESSION_KEY_PREFIX, use_signer=False, permanent=True, sid_length=32,
                  serialization_format="msgpack")
    if settings.redis_url:
        client = redis_client(settings.redis_url)
        app.session_interface = PortalRedisSessionInterface(app, client=client, **kwargs)
        app.extensions["portal.flow_store"] = RedisStore(client, "portal:flow:")
        app.extensions["portal.session_index"] = RedisSessionIndex(client)
        app.extensions["portal.redis"] = client
    else:
        folder = settings.session_file_dir
        folder.mkdir(parents=True, exist_ok=True)
        cache = FileSystemCache(str(folder), threshold=10000, mode=0o600)
        app.session_interface = PortalFileSessionInterface(app, client=cache, **kwargs)
        app.extensions["portal.flow_store"] = FileStore(folder / "flows", "flow:")
        app.extensions["portal.session_index"] = FileSessionIndex(folder / "index")
        app.extensions["portal.session_files"] = cache


def rotate_session_id(app: Flask, session) -> None:
    """Give the (non-empty) session a new id and delete the old one: call after sign-in."""
    app.session_interface.regenerate(session)


def delete_stored_sessions(app: Flask, session_ids: list[str]) -> None:
    """Delete these sessions from the store, wherever their browsers are."""
    if not session_ids:
        return
    client = app.extensions.get("portal.redis")
    if client is not None:
        try:
            if is_cluster(client):  # keys of a multi-key DEL must share a hash slot in a cluster
                for sid in session_ids:
                    client.delete(SESSION_KEY_PREFIX + sid)
            else:
                client.delete(*(SESSION_KEY_PREFIX + sid for sid in session_ids))
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
    else:
        for sid in session_ids:
            app.extensions["portal.session_files"].delete(SESSION_KEY_PREFIX + sid)


def index_session(session_id: str, identity: Identity) -> None:
    """Remember this session under the authority's ``sid`` and under the user, for the two routes below."""
    settings = current_app.extensions["portal.settings"]
    index = current_app.extensions["portal.session_index"]
    ttl = settings.absolute_lifetime_hours * 3600 + 600
    if identity.session_id:
        index.add(sid_key(identity.session_id), session_id, ttl)
    index.add(user_key(identity.tenant_id, identity.object_id), session_id, ttl)


def ping_session_store(app: Flask) -> None:
    """Raise StoreUnavailable unless the session store answers."""
    client = app.extensions.get("portal.redis")
    if client is not None:
        try:
            client.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
    else:
        app.extensions["portal.flow_store"].ping()
