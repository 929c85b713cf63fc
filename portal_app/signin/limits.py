"""Rate limits on what anonymous visitors can make the portal do: start sign-ins, and post forms.

Each ``/login`` stores a sign-in flow and each anonymous mark-sheet POST may keep marks for after a sign-in,
for minutes, in Redis. Without a limit one client could fill that memory (issue 13). Flask-Limiter counts per
client address (the one ``portal.trusted_proxy_hops`` makes true), in the anonymous Redis so that every
process shares the counts; file/dev mode counts in memory. The limits are ``[limits]`` in config/portal.toml.
The callback is not limited: it stores nothing, and a callback needs a flow that only a limited /login made.
"""

from __future__ import annotations

import logging

from flask import Flask, g, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from limits.errors import StorageError

from portal_app.redis_connect import is_cluster
from portal_app.settings import PortalSettings
from portal_app.signin.backend import backend_of
from portal_app.web.errors import error_page

log = logging.getLogger(__name__)
EXTENSION = "portal.limiter"
_NOT_LIMITED_POSTS = ("auth.callback",)
_LOGIN = "auth.login"


def _is_anonymous_post() -> bool:
    return (request.method == "POST" and g.get("user") is None
            and request.endpoint not in _NOT_LIMITED_POSTS)


def _never_limited() -> bool:
    """Everything but /login and anonymous POSTs."""
    return request.endpoint != _LOGIN and not _is_anonymous_post()


class _PortalLimiter(Limiter):
    """Flask-Limiter, consulted only by the requests it may limit.

    Flask-Limiter checks every request before its view; even with a request filter saying "not this one" it
    still resolves the request's limits and meta limits, which was a tenth of the portal's own layer on a
    signed-in page. Saying no before the check costs one comparison. The decorated /login check (not in the
    middleware) always runs.

    After the response and at teardown it builds its per-request state again, to find the deductions and
    the limit headers of a request that no limit saw and then to clear them: a request it never checked
    skips both (with the host checked once, web.proxy: a gated page's calls per request 1,023 -> 957 in
    process, the bare route's 636). Flask-Limiter makes that state only inside a check
    (``_check_request_limit``), so a request without one has none.
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and _never_limited():
            return
        g.limiter_consulted = True
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    # Flask-Limiter's after-request hook (its private __inject_headers) asks these two; its teardown hook is
    # the third. Their names are the library's private ones: tests/portal_app/test_rate_limits.py fails if the
    # library stops calling them (the limit headers of /login would be missing).
    @property
    def current_limit(self) -> RequestLimit | None:
        return super().current_limit if g.get("limiter_consulted") else None

    def _Limiter__check_conditional_deductions(self, response) -> None:  # noqa: N802 - the library's name
        if g.get("limiter_consulted"):
            super()._Limiter__check_conditional_deductions(response)  # type: ignore[misc]

    def _Limiter__release_context(self, _: BaseException | None = None) -> None:  # noqa: N802
        if g.get("limiter_consulted"):
            super()._Limiter__release_context(_)  # type: ignore[misc]


def _log_breach(limit: RequestLimit) -> None:
    # The page itself is web.errors' 429 (translated, with Retry-After from Flask-Limiter's headers).
    log.warning("rate limit reached: %s", limit.limit, extra={"event": "rate_limited", "path": request.path})


def _storage(app: Flask, settings: PortalSettings) -> tuple[str, dict]:
    client = backend_of(app).anonymous_redis
    if client is None:
        return "memory://", {}
    if is_cluster(client):
        return settings.anonymous_store_url, {"wrap_exceptions": True}
    # The same connections as the anonymous stores (single server or Sentinel's master): one URL grammar.
    return "redis://", {"connection_pool": client.connection_pool, "wrap_exceptions": True}


def _store_unavailable(exc: StorageError):
    log.error("session store unavailable while counting a rate limit: %s", exc)
    return error_page(503, _("The portal cannot reach its session store right now. Please try again in a moment."))


def init_app(app: Flask, settings: PortalSettings) -> None:
    """Limit /login and anonymous POSTs per client; after the gate, which says who is signed in."""
    uri, options = _storage(app, settings)
    limiter = _PortalLimiter(
        key_func=get_remote_address, storage_uri=uri, storage_options=options, strategy="moving-window",
        key_prefix=settings.rate_limit_key_prefix, headers_enabled=True, retry_after="delta-seconds",
        application_limits=[settings.anonymous_post_rate_limit], application_limits_exempt_when=lambda: (
            not _is_anonymous_post()), on_breach=_log_breach,
    )
    limiter.init_app(app)
    app.view_functions[_LOGIN] = limiter.limit(settings.login_rate_limit, scope="login")(app.view_functions[_LOGIN])
    app.register_error_handler(StorageError, _store_unavailable)
    app.extensions[EXTENSION] = limiter
