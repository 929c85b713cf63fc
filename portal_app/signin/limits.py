"""Rate limits on what anonymous visitors can make the portal do: start sign-ins, and post forms.

Each ``/login`` stores a sign-in flow and each anonymous mark-sheet POST may keep marks for after a sign-in,
for minutes, in Redis. Without a limit one client could fill that memory (issue 13). Flask-Limiter counts per
client address (the one ``portal.trusted_proxy_hops`` makes true), in the anonymous Redis so that every
process shares the counts; file/dev mode counts in memory. The limits are ``[limits]`` in config/portal.toml.
The callback is not limited: it stores nothing, and a callback needs a flow that only a limited /login made.
"""

from __future__ import annotations

import logging
from functools import partial

from flask import Flask, Response, after_this_request, g, request
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
    here = request._get_current_object()  # one lookup through the proxy: this runs at every request
    return here.method == "POST" and g.get("user") is None and here.endpoint not in _NOT_LIMITED_POSTS


def _never_limited() -> bool:
    """Everything but /login and anonymous POSTs."""
    here = request._get_current_object()
    if here.endpoint == _LOGIN:
        return False
    return here.method != "POST" or not _is_anonymous_post()


class _PortalLimiter(Limiter):
    """Flask-Limiter, consulted only by the requests it may limit, and only those pay for its hooks.

    Flask-Limiter checks every request before its view; even with a request filter saying "not this one" it
    still resolves the request's limits and meta limits, which was a tenth of the portal's own layer on a
    signed-in page. Saying no before the check costs one comparison. The decorated /login check (not in the
    middleware) always runs.

    It also adds an after-request hook (its limit headers and conditional deductions) and a teardown hook
    (clearing its per-request state) to every request. Only a request it checked has any of that state, so
    ``init_app`` takes both off every request and a checked request runs them itself (``after_this_request``).
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and _never_limited():
            return
        here = g._get_current_object()
        if not here.get("limiter_consulted"):  # /login is checked twice: middleware and decorator
            here.limiter_consulted = True
            after_this_request(self._after_checked_request)
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _after_checked_request(self, response: Response) -> Response:
        # The library's own after-request and teardown work (their names are its private ones: the tests of
        # tests/portal_app/test_rate_limits.py fail if the limit headers of /login go missing).
        response = self._Limiter__inject_headers(response)  # type: ignore[attr-defined]
        self._Limiter__release_context()  # type: ignore[attr-defined]
        return response


def _hooks_for_checked_requests_only(app: Flask, limiter: _PortalLimiter) -> None:
    """Take Flask-Limiter's after-request and teardown hooks off every request (see ``_PortalLimiter``)."""
    after = app.after_request_funcs.setdefault(None, [])
    teardown = app.teardown_request_funcs.setdefault(None, [])
    mine_after = [f for f in after if isinstance(f, partial) and f.args[:1] == (limiter,)]
    mine_teardown = [f for f in teardown if getattr(f, "__self__", None) is limiter]
    if len(mine_after) != 1 or len(mine_teardown) != 1:
        # Refuse to start rather than run them twice (or never) for a request that was checked.
        raise RuntimeError("Flask-Limiter no longer registers one after-request and one teardown hook as "
                           "portal_app/signin/limits.py expects: review _hooks_for_checked_requests_only")
    after.remove(mine_after[0])
    teardown.remove(mine_teardown[0])


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
    _hooks_for_checked_requests_only(app, limiter)
    app.view_functions[_LOGIN] = limiter.limit(settings.login_rate_limit, scope="login")(app.view_functions[_LOGIN])
    app.register_error_handler(StorageError, _store_unavailable)
    app.extensions[EXTENSION] = limiter
