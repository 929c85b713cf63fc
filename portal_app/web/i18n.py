"""Cymraeg and English: the language of each request, the switch between them, and formats per language.

The user's remembered choice (cookie ``portal_lang``) wins; a first visit follows the browser's
``Accept-Language``; English otherwise. Message catalogues live in ``translations/`` (see docs/glossary-cy.md).
"""

from __future__ import annotations

import functools

from babel import Locale
from flask import Blueprint, Flask, abort, current_app, g, has_request_context, redirect, request
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_decimal,
    gettext,
    lazy_gettext,
)
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from auth.redirects import next_destination, safe_next
from portal_app.data.messages import show_bilingual_data_in
from portal_app.settings import PROJECT_ROOT
from portal_app.web.cookies import set_cookie
from portal_app.web.messages import message_text, status_meaning
from portal_app.web.url_memo import remembered_url_for

LANGUAGES = ("en", "cy")  # the first is the fallback
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}  # each in its own language, as the switch shows them
# Babel locales: British English formats dates as "1 June 2026" (plain "en" would give "June 1, 2026").
LOCALES = {"en": "en_GB", "cy": "cy"}
# The language for the authority's own pages (OpenID Connect ui_locales: BCP 47 tags by preference), so
# Microsoft's sign-in, MFA and "Stay signed in?" pages follow the choice made here, not the browser's language.
UI_LOCALES = {"en": "en-GB en", "cy": "cy-GB cy"}
COOKIE = "portal_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = PROJECT_ROOT / "translations"

# Statuses stored in the database (English ids) and the words users see for them.
STATUS_NAMES = {"draft": lazy_gettext("Draft"), "submitted": lazy_gettext("Submitted")}

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The remembered choice, else the best match for ``Accept-Language``, else English (as a Babel locale)."""
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return LOCALES[remembered]
    return LOCALES[_best_language(request.environ.get("HTTP_ACCEPT_LANGUAGE", ""))]


@functools.lru_cache(maxsize=512)
def _best_language(accept_language: str) -> str:
    """The best of LANGUAGES for an Accept-Language header: browsers send a few values over and over."""
    if not accept_language:
        return LANGUAGES[0]
    return parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES) or LANGUAGES[0]


_PARSED = {code: Locale.parse(code) for code in LOCALES.values()}


def _selected_locale() -> Locale:
    """``select_locale``, as the parsed Locale (Flask-Babel would parse the name again at every request)."""
    return _PARSED[select_locale()]


def current_language() -> str:
    """``cy`` or ``en`` for this request (English outside a request: CLI commands and logs stay English).

    Worked out once per request: the menu, the page around it and the language links all ask.
    """
    if not has_request_context():
        return LANGUAGES[0]
    language = g.get("portal_language")
    if language is None:
        # The selector Flask-Babel calls too (its locale for this request is the same), without Flask-Babel's
        # per-request set-up: a page kept rendered may need no translation at all.
        language = g.portal_language = _LANGUAGE_OF[select_locale()]
    return language


_LANGUAGE_OF = {locale: code for code, locale in LOCALES.items()}
_titles: dict[tuple[str, str], str] = {}


def translated(message: str) -> str:
    """``gettext(message)`` for a fixed message marked with ``N_``, remembered per language.

    For what the pages opened most show at every view around their kept content (their titles): the catalogues
    are loaded once per process, so the translation of a fixed message never changes.
    """
    key = (current_language(), message)
    text = _titles.get(key)
    if text is None:
        text = _titles[key] = gettext(message)
    return text


def ui_locales() -> str:
    """This request's language as the ``ui_locales`` of an authorize or end-session request."""
    return UI_LOCALES[current_language()]


def language_switch() -> list[dict[str, str]]:
    """Links to the other language(s), each back to this page: code, name and href for the header."""
    here = request.full_path.rstrip("?") if request.query_string else request.path
    return [{"code": code, "name": LANGUAGE_NAMES[code],
             "href": remembered_url_for("i18n.choose", code=code, next=here)}
            for code in LANGUAGES if code != current_language()]


def status_name(status: str) -> str:
    """A sheet or allocation status (``draft``) in the user's language; unknown ones as stored."""
    return str(STATUS_NAMES.get(status, status))


def support_contact() -> str:
    """Who to contact, in the user's language (portal.support_contact and portal.support_contact_cy)."""
    settings = current_app.extensions["portal.settings"]
    return settings.support_contact_cy if current_language() == "cy" else settings.support_contact


def _return_path(candidate: str | None) -> str:
    """Where to go back to: the same-site page the switch was used on (the sign-out page included)."""
    path = next_destination(candidate)
    # next_destination keeps the sign-in routes out of post-sign-in redirects (loops); the sign-in form with its
    # error and the sign-out confirmation are pages like any other here, so switching must stay on them.
    # /auth/* (callback, front-channel logout) stays excluded: replaying those is never wanted.
    if path != candidate and safe_next(candidate, default="") and candidate.split("?")[0] in ("/login", "/logout"):
        return candidate
    return path


@bp.route("/language/<code>", methods=["GET", "POST"])
def choose(code: str):
    """Remember ``code`` for a year and go back to the page the switch was used on."""
    if code not in LANGUAGES:
        abort(404, description=gettext("That language is not available. Choose Cymraeg or English."))
    candidate = request.values.get("next") or "/"
    response = redirect(_return_path(candidate), code=303)
    # Lax because a language choice needs no cross-site requests.
    set_cookie(response, COOKIE, code, max_age=COOKIE_MAX_AGE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _vary_on_language(response):
    """Pages differ by cookie and Accept-Language: shared caches must not mix the two languages."""
    # Plain header arithmetic: parsing the Vary header into a HeaderSet on every response costs more.
    vary = response.headers.get("Vary")
    if vary is None:  # the usual case
        response.headers.add("Vary", "Accept-Language, Cookie")
        return response
    present = {v.strip().lower() for v in vary.split(",") if v.strip()}
    missing = [name for name in ("Accept-Language", "Cookie") if name.lower() not in present]
    if missing:
        response.headers["Vary"] = ", ".join(filter(None, [vary, *missing]))
    return response


class LazyText:
    """Text worked out when a template shows it, escaped like any other text.

    Not Flask-Babel's LazyString: its ``__html__`` declares the text safe markup, so a ``<`` or ``'`` in
    configured text would reach the page unescaped.
    """

    __slots__ = ("_make",)

    def __init__(self, make) -> None:
        self._make = make

    def __str__(self) -> str:
        return self._make()


def i18n_context() -> dict:
    """Template helpers: the page language, the switch, and formats for the chosen language."""
    g.lang = current_language()
    return {"html_lang": g.lang, "language_switch": language_switch, "format_date": format_date,
            "format_datetime": format_datetime, "format_decimal": format_decimal,
            "status_name": status_name, "message_text": message_text,
            # Lazy: put into the few pages that name it, chosen only there.
            "support_contact": LazyText(support_contact),
            "status_meaning": status_meaning}


def init_app(app: Flask) -> None:
    """Bind Flask-Babel (catalogues in translations/), the /language/<code> route and the template helpers."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LANGUAGES[0])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/London")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=_selected_locale)
    # {% trans %} blocks collapse their whitespace, as `pybabel extract` does with trimmed = true in babel.cfg.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.after_request(_vary_on_language)
    app.context_processor(i18n_context)
    # Board data with a Welsh version (component titles) renders in the page's language (data.messages.Bilingual).
    show_bilingual_data_in(current_language)
    app.register_blueprint(bp)
