"""The mark lists (EMI's and IAMIS's first pages), rendered once per change of what they show and kept per process.

A list is the page people come back to after every sheet, so it is read far more often than its data changes.
Its HTML is kept (portal_app.web.fragments) under a key naming everything it is made of: the user, the change
stamps of their components (portal_app.data.change_stamps: one small statement per view, or on SQLite none
while nothing has been written, portal_app.data.stamps_memo), the language, the permissions and whatever else
the caller passes. A write anywhere, by any worker or process, moves a stamp, so the next load renders again;
a deadline passing does too (``valid_until``). Values that are the request's own (the CSRF token) are filled
in per response.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from flask import request
from flask_babel import format_datetime
from markupsafe import Markup

from portal_app.database import change_stamps_of
from portal_app.marks.common import current_appointee
from portal_app.signin.roles import current_permissions, role_title
from portal_app.web import clock, i18n
from portal_app.web.fragments import render_fragment


def cached_list(template: str, key: Hashable, context: Callable[[], Mapping[str, Any]], *,
                per_request: Mapping[str, object] | None = None,
                valid_until: Callable[[Mapping[str, Any]], float | None] | None = None) -> Markup:
    """``template`` rendered from ``context()`` (read only when the stamps or ``key`` changed).

    ``key`` names the caller's own inputs beyond the user, their stamps, permissions and language.
    """
    me = current_appointee()
    stamps = change_stamps_of(me)  # before the data: a write in between makes the next key newer, never older
    full_key = (me, stamps, current_permissions(), i18n.current_language(), str(i18n.support_contact()),
                request.script_root, key)
    return render_fragment(template, full_key, lambda: {**context(), **_helpers()}, per_request=per_request,
                           valid_until=valid_until, now=clock.now())


def _helpers() -> dict[str, Any]:
    """What render_template's context processors give the lists' templates (a fragment sees none of them)."""
    return {"support_contact": i18n.support_contact(), "format_datetime": format_datetime, "role_title": role_title}
