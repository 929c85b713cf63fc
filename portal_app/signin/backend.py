"""Where sessions live, chosen once per app: Redis (several processes, production) or files (one laptop).

Flask-Session keeps the session itself; beside it the backend holds the index of sessions by the authority's
``sid`` and by user, which front-channel logout and "sign out everywhere" use to end sessions in other
browsers, and the records anonymous visitors cause (sign-in flows, marks kept across a sign-in): those live
apart from sessions, under ``portal:anon:`` in their own Redis when PORTAL_ANONYMOUS_REDIS_URL names one,
so no anonymous traffic can fill the memory that sessions need.

The stock interfaces are extended: a store that does not answer gives a 503 "try again" page instead of a
500, stored data that cannot be decoded gives a fresh session, and stored data is only ever decoded as data
(msgpack in Redis, JSON in files), never unpickled: Flask-Session 0.8 falls back to ``pickle.loads``, and
cachelib's file cache pickles, so whoever could write a session key would run code here.
Every write and every end goes through ``auth.session_records``, so a session ended while requests race it
stays ended (no write re-creates it) on both backends.
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
from auth.session_records import FileSessionRecords, RedisSessionRecords
from auth.stores import ExpiringStore, FileStore, RedisStore, StoreUnavailable
from auth.tokens import Identity
from portal_app.redis_connect import redis_client
from portal_app.settings import PortalSettings
from portal_app.web.cookies import cookie_name
from portal_app.web.errors import error_page
from portal_app.web.health import add_readiness_check

log = logging.getLogger(__name__)
SESSION_KEY_PREFIX = "portal:session:"
ANONYMOUS_PREFIX = "portal:anon:"
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
        if g.get("session_store_error"):
            return  # never write over a session we could not read
        try:
            super().save_session(app, session, response)
        except (redis.RedisError, StoreUnavailable) as exc:
            log.error("session store unavailable while saving a session: %s; is Redis up?", exc)
            response.status_code = 503
            response.headers["Retry-After"] = "10"
            return
        if getattr(session, "portal_refused", False):
            # The session ended while this request was in flight: its cookie names nothing any more.
            response.delete_cookie(self.get_cookie_name(app), domain=self.get_cookie_domain(app),
                                   path=self.get_cookie_path(app))


class _StaysEndedMixin:
    """Writes and ends through ``auth.session_records``: a loaded session is only overwritten while it lives."""

    records: RedisSessionRecords | FileSessionRecords

    def open_session(self, app, request):
        session = super().open_session(app, request)
        # Flask-Session keeps the cookie's id only when the store had data for it; any other id is new.
        session.portal_loaded = session.sid == request.cookies.get(self.get_cookie_name(app))
        return session

    def regenerate(self, session) -> None:
        super().regenerate(session)  # ends the old id (through _delete_session) and picks a new one
        session.portal_loaded = False

    def _delete_session(self, store_id: str) -> None:
        self.records.end([store_id])

    def _upsert_session(self, session_lifetime: timedelta, session, store_id: str) -> None:
        user = user_session.current_user(session)
        written = self.records.write(
            store_id, self._stored_form(session), int(session_lifetime.total_seconds()),
            existing=getattr(session, "portal_loaded", False),
            owner=(user["tid"], user["oid"]) if user else None,
            signed_in_at=user_session.signed_in_at(session) if user else None,
        )
        if written:
            session.portal_loaded = True
        else:
            session.portal_refused = True
            log.info("a session ended while a request was using it was not written back",
                     extra={"event": "session_stays_ended"})

    def _stored_form(self, session):
        raise NotImplementedError


class PortalRedisSessionInterface(_ResilientMixin, _StaysEndedMixin, RedisSessionInterface):
    def __init__(self, app: Flask, client, **kwargs) -> None:
        # Flask-Session insists on a plain ``Redis``; a RedisCluster client serves the same get/set/delete.
        self.client = client
        ServerSideSessionInterface.__init__(self, app, **kwargs)
        self.serializer = StrictMsgpackSerializer()
        self.records = RedisSessionRecords(client)

    def _stored_form(self, session) -> bytes:
        return self.serializer.encode(session)


class PortalFileSessionInterface(_ResilientMixin, _StaysEndedMixin, CacheLibSessionInterface):
    def __init__(self, app: Flask, records: FileSessionRecords, **kwargs) -> None:
        super().__init__(app, client=records.cache, **kwargs)
        self.records = records

    def _retrieve_session_data(self, store_id: str):
        data = self.records.read(store_id)
        return data if isinstance(data, dict) else None

    def _stored_form(self, session) -> dict:
        return dict(session)


@dataclass
class SessionBackend:
    """The session store with its flow store and session index, all of one kind (Redis or files)."""

    flows: ExpiringStore
    stash: ExpiringStore
    index: RedisSessionIndex | FileSessionIndex
    index_ttl_seconds: int
    records: RedisSessionRecords | FileSessionRecords
    redis: object | None = None
    anonymous_redis: object | None = None  # where flows, kept marks and rate limits live (may be ``redis``)

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
        """End every session indexed under ``key`` (except ``keep``); how many the index held."""
        session_ids = self.index.take_all(key)
        self.end([sid for sid in session_ids if sid != keep])
        return len(session_ids)

    def end_everywhere(self, tenant_id: str, object_id: str, *, now: float, keep: str | None = None) -> int:
        """End every session of the user: those the index knows now, and (by the stamp) any it does not."""
        self.records.void_before((tenant_id, object_id), now, self.index_ttl_seconds)
        return self.end_indexed(user_key(tenant_id, object_id), keep=keep)

    def end(self, session_ids: list[str]) -> None:
        """End these sessions, wherever their browsers are; no request in flight can bring one back."""
        self.records.end([SESSION_KEY_PREFIX + sid for sid in session_ids])

    def problem(self) -> str | None:
        """None when the session store answers, else what is wrong (for /readyz)."""
        try:
            if self.redis is not None:
                for client in {id(c): c for c in (self.redis, self.anonymous_redis) if c is not None}.values():
                    try:
                        client.ping()
                    except redis.RedisError as exc:
                        raise StoreUnavailable(f"redis: {exc}") from exc
            else:
                self.flows.ping()
        except StoreUnavailable as exc:
            return str(exc)
        return None


def loaded_session_id(session: SessionMixin) -> str | None:
    """The id of the stored session this request came with, or None for a session that is new."""
    return session.sid if getattr(session, "portal_loaded", False) else None


def backend() -> SessionBackend:
    return backend_of(current_app)


def backend_of(app: Flask) -> SessionBackend:
    return app.extensions[EXTENSION]


def _refuse_while_store_down():
    """Requests whose session could not be read get a 503, not a page built on an empty session."""
    if (g._get_current_object().get("session_store_error")
            and request.endpoint not in ("health.healthz", "health.readyz", "static")):
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
        anonymous = redis_client(settings.anonymous_redis_url) if settings.anonymous_redis_url else client
        app.session_interface = PortalRedisSessionInterface(app, client=client, **kwargs)
        chosen = SessionBackend(RedisStore(anonymous, ANONYMOUS_PREFIX + "flow:"),
                                RedisStore(anonymous, ANONYMOUS_PREFIX + "stash:"), RedisSessionIndex(client),
                                index_ttl, records=app.session_interface.records, redis=client,
                                anonymous_redis=anonymous)
    else:
        folder = settings.session_file_dir
        folder.mkdir(parents=True, exist_ok=True)
        records = FileSessionRecords(folder)
        app.session_interface = PortalFileSessionInterface(app, records, **kwargs)
        chosen = SessionBackend(FileStore(folder / "flows", "flow:"), FileStore(folder / "stash", "stash:"),
                                FileSessionIndex(folder / "index"), index_ttl, records=records)
    app.extensions[EXTENSION] = chosen
    app.before_request(_refuse_while_store_down)
    add_readiness_check(app, "session_store", chosen.problem)
