"""``url_for`` in templates, remembered per process: the same endpoint and values give the same URL.

Every page builds the same few URLs (the stylesheets, sign-out, All Services) and the mark lists one or more
per row; building one costs werkzeug more than rendering the text around it. Flask refuses new routes once
the app has served its first request, so a URL depends only on the endpoint, its values and where the app is
mounted (the request's script root and host): the key. Calls with ``_external``, ``_anchor``, ``_method`` or
``_scheme``, a blueprint-relative endpoint (``.index``) or values that are not plain strings and numbers go to
Flask unchanged, as does anything that fails to build (Flask's error handling applies).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Flask, current_app, has_request_context, request, url_for

EXTENSION = "portal.url_memo"
MAX_ENTRIES = 4096
_PLAIN = (str, int)


class UrlMemo:
    """A bounded LRU of built URLs; an app's routes never change after its first request."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._urls: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def url_for(self, endpoint: str, **values: object) -> str:
        if not has_request_context() or endpoint.startswith(".") or any(
                name.startswith("_") or type(value) not in _PLAIN for name, value in values.items()):
            return url_for(endpoint, **values)
        environ = request.environ
        key = (endpoint, environ.get("SCRIPT_NAME", ""), environ.get("HTTP_HOST", ""), *sorted(values.items()))
        with self._lock:
            found = self._urls.get(key)
            if found is not None:
                self._urls.move_to_end(key)
                return found
        built = url_for(endpoint, **values)
        with self._lock:
            self._urls[key] = built
            if len(self._urls) > self.max_entries:
                self._urls.popitem(last=False)
        return built


def remembered_url_for(endpoint: str, **values: object) -> str:
    """``url_for`` through this app's memo, for the plumbing that builds a URL on every page."""
    return current_app.extensions[EXTENSION].url_for(endpoint, **values)


def init_app(app: Flask) -> None:
    """Templates' ``url_for`` remembers; views keep Flask's own."""
    memo = app.extensions[EXTENSION] = UrlMemo()
    app.jinja_env.globals["url_for"] = memo.url_for
