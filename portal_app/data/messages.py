"""Messages the data layer shows to users: an English template marked with ``N_`` and its parameters, no Flask.

A ``Message`` reads as its English text (logs, tests, the CLI); the web layer translates the template and
fills in the parameters when it shows the message (``portal_app.web.messages``).
"""

from __future__ import annotations

from collections.abc import Iterable


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark for translation, translate later"
    """Mark ``message`` for extraction; the web layer translates it when it shows it (logs keep English)."""
    return message


class Message(str):
    """A user-facing message: its English text, plus ``template`` and ``params`` for translating it later.

    Parameters may themselves be Messages or StatusCodeLists; the web layer translates those too.
    """

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Message:
        message = super().__new__(cls, template % params if params else template)
        message.template = template
        message.params = params
        return message


class StatusCodeList(tuple):
    """A component's status codes as (code, meaning) pairs, read as "A (absent), CF (carried forward)".

    Meanings are stored data in English; ``render`` takes the function that puts one in the user's language.
    """

    def __new__(cls, pairs: Iterable[tuple[str, str]]) -> StatusCodeList:
        return super().__new__(cls, tuple(pairs))

    def render(self, meaning_text=str) -> str:
        return ", ".join(f"{code} ({meaning_text(meaning).lower()})" for code, meaning in self)

    def __str__(self) -> str:
        return self.render()
