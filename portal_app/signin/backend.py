"""Where sessions live, chosen once per app: Redis (several processes, production) or files (one laptop).

Flask-Session keeps the session itself; beside it the backend holds the sign-in flow records and the index of
sessions by the authority's ``sid`` and by user, which front-channel logout and "sign out everywhere" use to
end sessions in other browsers. The stock interfaces are extended: a store that does not answer gives a 503
"try again" page instead of a 500, stored data that cannot be decoded gives a fresh session, and stored data is
only ever decoded as data (msgpack in Redis, JSON in files), never unpickled: Flask-Session 0.8 falls back to
``pickle.loads``, and cachelib's file cache pickles, so whoever could write a session key would run code here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import msgspec
import redis
from flask import Flask, current_app, g, request
from flask.sessions import SessionMixin
from flask_babel import gettext as _
from flask_session.base import Serializer, ServerSideSessionInterface
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

from auth import user_session
from auth.session_index import FileSessionIndex, RedisSessionIndex, sid_key, user_key, username_key
from auth.stores import ExpiringStore, FileStore, JsonFileSystemCache, RedisStore, StoreUnavailable
from auth.tokens import Identity
from portal_app.redis_connect import is_cluster, redis_client
from portal_app.settings import PortalSettings
from portal_app.web.cookies import cookie_name
from portal_app.web.errors import error_page
from portal_app.web.health import add_readiness_check

log = logging.getLogger(__name__)
SESSION_KEY_PREFIX = "portal:session:"
EXTENSION = "portal.session_backend"


class StrictMsgpackSerializer(Serializer):
    """msgpack maps only, with no fallback: the stored bytes are data (Flask-Session's own ends in pickle.loads)."""

    def __init__(self) -> None:
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(type=dict)

    def encode(self, session) -> bytes:
        return self._encoder.encode(dict(session))

    def decode(self, serialized_data: bytes) -> dict:
        return self._decoder.decode(serialized_data)  # msgspec errors: discarded as undecodable by the mixin


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
        self.serializer = StrictMsgpackSerializer()


class PortalFileSessionInterface(_ResilientMixin, CacheLibSessionInterface):
    pass


@dataclass
class SessionBackend:
    """The session store with its flow store and session index, all of one kind (Redis or files)."""

    flows: ExpiringStore
    index: RedisSessionIndex | FileSessionIndex
    index_ttl_seconds: int
    redis: object | None = None
    files: JsonFileSystemCache | None = None

    def rotate_and_index(self, session: SessionMixin, identity: Identity) -> None:
        """Give the freshly signed-in session a new id (the old one is deleted) and index it by sid and user."""
        current_app.session_interface.regenerate(session)
        if identity.session_id:
            self.index.add(sid_key(identity.session_id), session.sid, self.index_ttl_seconds)
        self.index.add(user_key(identity.tenant_id, identity.object_id), session.sid, self.index_ttl_seconds)
        if identity.username:
            self.index.add(username_key(identity.username), session.sid, self.index_ttl_seconds)

    def signed_in_sessions(self, username: str) -> list[dict]:
        """The stored data of every live signed-in session of ``username`` (for ``portal explain --user``)."""
        interface = current_app.session_interface
        found = []
        for sid in self.index.members(username_key(username)):
            # Flask-Session's own read (and our resilient override of it): the same decoding as a page view.
            data = interface._retrieve_session_data(interface._get_store_id(sid))
            if isinstance(data, dict) and user_session.current_user(data):
                found.append(data)
        return found

    def end_indexed(self, key: str, *, keep: str | None = None) -> int:
        """Delete every session indexed under ``key`` (except ``keep``); how many the index held."""
        session_ids = self.index.take_all(key)
        self.delete([sid for sid in session_ids if sid != keep])
        return len(session_ids)

    def delete(self, session_ids: list[str]) -> None:
        """Delete these sessions from the store, wherever their browsers are."""
        if not session_ids:
            return
        if self.redis is not None:
            try:
                if is_cluster(self.redis):  # keys of a multi-key DEL must share a hash slot in a cluster
                    for sid in session_ids:
                        self.redis.delete(SESSION_KEY_PREFIX + sid)
                else:
                    self.redis.delete(*(SESSION_KEY_PREFIX + sid for sid in session_ids))
            except redis.RedisError as exc:
                raise StoreUnavailable(f"redis: {exc}") from exc
        else:
            for sid in session_ids:
                self.files.delete(SESSION_KEY_PREFIX + sid)

    def problem(self) -> str | None:
        """None when the session store answers, else what is wrong (for /readyz)."""
        try:
            if self.redis is not None:
                try:
                    self.redis.ping()
                except redis.RedisError as exc:
                    raise StoreUnavailable(f"redis: {exc}") from exc
            else:
                self.flows.ping()
        except StoreUnavailable as exc:
            return str(exc)
        return None


def backend() -> SessionBackend:
    return backend_of(current_app)


def backend_of(app: Flask) -> SessionBackend:
    return app.extensions[EXTENSION]


def _refuse_while_store_down():
    """Requests whose session could not be read get a 503, not a page built on an empty session."""
    if g.get("session_store_error") and request.endpoint not in ("health.healthz", "health.readyz", "static"):
        return error_page(503, _("The portal cannot reach its session store right now. Please try again in a "
                                 "moment."))
    return None


def init_app(app: Flask, settings: PortalSettings) -> None:
    """Configure the session cookie and choose the store (Redis or files) for sessions, flows and the index."""
    app.config.update(
        SESSION_COOKIE_NAME=cookie_name("portal_session", https=settings.uses_https),
        SESSION_COOKIE_SECURE=settings.uses_https,
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
    index_ttl = settings.absolute_lifetime_hours * 3600 + 600
    if settings.redis_url:
        client = redis_client(settings.redis_url)
        app.session_interface = PortalRedisSessionInterface(app, client=client, **kwargs)
        chosen = SessionBackend(RedisStore(client, "portal:flow:"), RedisSessionIndex(client), index_ttl,
                                redis=client)
    else:
        folder = settings.session_file_dir
        folder.mkdir(parents=True, exist_ok=True)
        cache = JsonFileSystemCache(str(folder), threshold=10000, mode=0o600)
        app.session_interface = PortalFileSessionInterface(app, client=cache, **kwargs)
        chosen = SessionBackend(FileStore(folder / "flows", "flow:"), FileSessionIndex(folder / "index"), index_ttl,
                                files=cache)
    app.extensions[EXTENSION] = chosen
    app.before_request(_refuse_while_store_down)
    add_readiness_check(app, "session_store", chosen.problem)
