"""``_()``, ``gettext`` and ``{% trans %}`` in templates, looking the request's translations up once per page.

Flask-Babel's template callables find the request's locale and catalogue again at every string (several
context lookups each), behind Jinja's ``_`` alias that resolves ``gettext`` at every call: a page with forty
strings paid for that forty times. Here ``render_template`` puts this request's catalogue in the template's
context once (a context processor), and ``_`` is the translating function itself. Same catalogues, same
locale selection (portal_app.web.i18n), same newstyle semantics: the string is a format string and the
values put into it are escaped. Templates rendered without the context processors (cached fragments) ask
Flask-Babel, as before.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

CONTEXT_KEY = "_portal_translations"
# Plain strings (no values to put in) as they appear on the page, per catalogue: templates hold a few hundred;
# the bound only guards against a template that passes arbitrary text to _().
MAX_MEMO = 4096
_memo: dict[tuple[object, str], Markup] = {}
# Flask-Babel keeps one catalogue per locale for the life of the process; this finds it without its lookups.
_by_locale: dict[object, object] = {}


def request_translations():
    """This request's catalogue (Flask-Babel's, for the locale it selected)."""
    locale = get_locale()
    translations = _by_locale.get(locale)
    if translations is None:
        translations = _by_locale[locale] = get_translations()
    return translations


def _translations(context: Context):
    translations = context.get(CONTEXT_KEY)
    return request_translations() if translations is None else translations


@pass_context
def template_gettext(context: Context, message: str, **variables: Any) -> str:
    translations = _translations(context)
    if not variables and context.eval_ctx.autoescape:
        key = (translations, message)
        found = _memo.get(key)
        if found is None:
            found = Markup(translations.gettext(message)) % {}
            if len(_memo) < MAX_MEMO:
                _memo[key] = found
        return found
    text = translations.gettext(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@pass_context
def template_ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    text = _translations(context).ngettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def _request_translations() -> dict:
    return {CONTEXT_KEY: request_translations()}


def init_app(app: Flask) -> None:
    """Replace Flask-Babel's template gettext and ngettext (call after ``Babel(app)``)."""
    app.context_processor(_request_translations)
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
