"""Data-layer messages and stored status-code meanings, in the user's language, where pages show them.

The data layer has no Flask: it returns ``Message`` objects (an ``N_``-marked English template and its
parameters). Status-code meanings are stored in English by the CSV import, with the board's Welsh where it gave
one (``status_codes_cy``); without it, the ones WJEC uses have a Welsh translation here, and any other is shown
as stored.
"""

from __future__ import annotations

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from portal_app.data.messages import Bilingual, Message, StatusCodeList

# Keyed by the stored English meaning (case-insensitive), not the code: a code may mean different things per
# component, and the meaning is what the user reads.
STATUS_MEANINGS = {
    "absent": _l("Absent"),
    "carried forward": _l("Carried forward"),
    "withdrawn": _l("Withdrawn"),
    "exempt": _l("Exempt"),
}


def status_meaning(meaning: str) -> str:
    """A stored status-code meaning ("Absent") in the user's language: the board's Welsh on a Welsh page, else
    the portal's translation of a meaning WJEC uses, else as stored."""
    if isinstance(meaning, Bilingual) and meaning.welsh and _page_is_welsh():
        return meaning.welsh
    known = STATUS_MEANINGS.get(meaning.strip().casefold())
    return str(known) if known is not None else meaning


def message_text(message: object) -> str:
    """A data-layer Message in the user's language; text that is already final (str) is returned as is."""
    if not isinstance(message, Message):
        return "" if message is None else str(message)
    params = {name: _param_text(value) for name, value in message.params.items()}
    # The template is translated first, then filled in; Jinja escapes the result where it is shown.
    return gettext(message.template, **params) if params else gettext(message.template)


def _param_text(value: object) -> object:
    if isinstance(value, Message):
        return message_text(value)
    if isinstance(value, StatusCodeList):
        return value.render(status_meaning)
    return value


def _page_is_welsh() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "cy"
