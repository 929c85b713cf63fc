"""Rendered pieces of pages (the header menu, the All Services list), kept per process and found again by a key
that names everything they were rendered from.

A caller passes every input of a fragment in its key (the catalogue's version, the user's permissions, the
language, the favourites, ...): an edit makes a new key, so an entry can be outgrown but never be wrong, and
the old one ages out of a bounded LRU. Values that differ per request and per user (the CSRF token) are
rendered as a placeholder and put in on the way out, so one entry serves everyone with the same inputs.

Where templates reload on edit (dev mode), nothing is cached: an edited include would not change the key.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup, escape

EXTENSION = "portal.fragments"
MAX_BYTES = 8 * 1024 * 1024  # per process: about a thousand menus and pages of All Services


class FragmentCache:
    """A thread-safe LRU of rendered HTML, bounded by its total size in characters.

    An entry is kept as its text split at the placeholders (literal, name, literal, ...), so that filling it in
    is one join: a value put in is never searched for another placeholder.
    """

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[tuple[str, ...], float | None]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        # Unpredictable, so no text in a template, config/services.toml or a user's data can collide with it.
        self._marker = secrets.token_hex(12)
        self._split = re.compile(f"fragment-{self._marker}-([a-z_]+)-end")

    def placeholder(self, name: str) -> str:
        return f"fragment-{self._marker}-{name}-end"

    def split(self, html: str) -> tuple[str, ...]:
        """``html`` cut at its placeholders: (literal, name, literal, ..., literal)."""
        return tuple(self._split.split(html))

    def get(self, key: Hashable, render: Callable[[], str], *, now: float | None = None,
            expires: Callable[[], float | None] | None = None) -> tuple[str, ...]:
        """The entry for ``key`` as (literal, name, literal, ...), rendering (outside the lock) on a miss.

        ``expires`` (called after a render) may give the time at which what was rendered stops being true
        (a deadline passing); from ``now`` on, the entry is rendered again.
        """
        with self._lock:
            found = self._entries.get(key)
            if found is not None and (found[1] is None or now is None or now < found[1]):
                self._entries.move_to_end(key)
                return found[0]
        parts = self.split(render())
        until = expires() if expires else None
        size = sum(len(part) for part in parts)
        with self._lock:
            if size <= self.max_bytes:
                dropped = self._entries.pop(key, None)
                if dropped is not None:
                    self._size -= sum(len(part) for part in dropped[0])
                self._entries[key] = (parts, until)
                self._size += size
                while self._size > self.max_bytes:
                    _, (old, _until) = self._entries.popitem(last=False)
                    self._size -= sum(len(part) for part in old)
        return parts

    def __len__(self) -> int:
        return len(self._entries)


def render_fragment(template_name: str, key: Hashable, context: Callable[[], Mapping[str, Any]], *,
                    per_request: Mapping[str, object] | None = None,
                    valid_until: Callable[[Mapping[str, Any]], float | None] | None = None,
                    now: float | None = None) -> Markup:
    """``template_name`` rendered with ``context()`` (called only on a miss), cached under ``key``.

    ``key`` must name every input of the template other than ``per_request``, whose values (escaped unless
    they are Markup) fill in their placeholders in the cached HTML; the template finds each placeholder under
    its name (and all of them in ``per_request``). It sees only those, ``context()`` and the environment's
    globals (``_``, ``url_for``), not the context processors of ``render_template``. ``valid_until(context)``
    may say when a rendering goes out of date by the clock alone (a deadline passing; a timestamp, compared
    with ``now``).
    """
    app = current_app._get_current_object()
    cache: FragmentCache = app.extensions[EXTENSION]
    per_request = per_request or {}
    environment = app.jinja_env
    names = tuple(sorted(per_request))
    rendered_from: dict[str, Any] = {}

    def render() -> str:
        # Looked up on a miss only: with templates not reloading, a name stands for one template per process.
        template = environment.get_template(template_name)
        slots = {name: Markup(cache.placeholder(name)) for name in names}
        rendered_from.update(context())
        return template.render(**rendered_from, **slots, per_request=slots)

    def expires() -> float | None:
        return valid_until(rendered_from) if valid_until else None

    if environment.auto_reload:
        parts = cache.split(render())
    else:
        parts = cache.get((template_name, names, key), render, now=now, expires=expires)
    values = {name: str(escape(value)) for name, value in per_request.items()}
    return Markup("".join(part if index % 2 == 0 else values[part] for index, part in enumerate(parts)))


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = FragmentCache()
