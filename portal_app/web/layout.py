"""What is around every page's content: head, header and footer (templates/_layout.html, used by base.html).

Rendered once per (language, signed in or not, where the app is mounted) and kept per process
(portal_app.web.fragments); each response fills in what is its own: the page's title, main class and content,
the header's All Services menu (a cached fragment of the catalogue's, passed in by base.html), the user's name
and the language links back to this page.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from markupsafe import Markup

from portal_app.web.fragments import render_fragment
from portal_app.web.i18n import LANGUAGE_NAMES, current_language, language_switch


def page_layout(*, title: str, main_class: str, content: str, header_menu: str, user_name: str | None) -> Markup:
    """The whole page around ``content``; ``user_name`` None for a visitor (no menu, no sign-out)."""
    lang, switch = current_language(), language_switch()
    codes = tuple(choice["code"] for choice in switch)
    signed_in = user_name is not None
    per_request = {"title": title, "main_class": main_class, "content": content, "header_menu": header_menu,
                   "user_name": user_name or "", **{f"href_{choice['code']}": choice["href"] for choice in switch}}
    return render_fragment("_layout.html", (lang, signed_in, codes, request.script_root), lambda: {
        "html_lang": lang, "signed_in": signed_in,
        "choices": [{"code": code, "name": LANGUAGE_NAMES[code]} for code in codes]}, per_request=per_request)


HEADER_MENU = "portal.header_menu"  # registered by the catalogue: the header's All Services menu, as HTML


def signed_in_page(*, title: str, content: str, main_class: str = "") -> Markup:
    """A signed-in user's page around ``content``, as base.html would put it, with no template render of its own.

    For the pages opened most, whose content is itself a cached fragment: render_template would run every
    context processor and base.html's blocks only to copy ``content`` into the cached layout.
    """
    menu = current_app.extensions.get(HEADER_MENU)
    return page_layout(title=title, main_class=main_class, content=content, header_menu=menu() if menu else "",
                       user_name=g.user.get("name") or "")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["page_layout"] = page_layout
