"""Messages the data layer shows to users: an English template marked with ``N_`` and its parameters, no Flask.

A ``Message`` reads as its English text (logs, tests, the CLI); the web layer translates the template and
fills in the parameters when it shows the message (``portal_app.web.messages``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from markupsafe import Markup, escape


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


def _english_pages() -> str:
    return "en"


_page_language: Callable[[], str] = _english_pages


def show_bilingual_data_in(page_language: Callable[[], str]) -> None:
    """Register how to tell a page's language ("cy" or "en"); the web layer does, as it binds Cymraeg/English."""
    global _page_language
    _page_language = page_language


class Bilingual(str):
    """Board data in English, with the Welsh the board gave for it (``welsh``, or None).

    It reads as the English everywhere text is compared, sorted, logged or sent as JSON. Pages show it in their
    language: Jinja escapes values through ``__html__`` (``{{ component.label }}``, and the arguments of
    ``_()``), which gives the Welsh on a Welsh page when there is one, else the English the board gave. A filter
    or operator that makes a plain string first (``|upper``, ``~``) gets the English: show the value itself, or
    call ``in_language``.
    """

    welsh: str | None

    def __new__(cls, english: str, welsh: str | None = None) -> Bilingual:
        text = super().__new__(cls, english)
        text.welsh = welsh or None
        return text

    def in_language(self, language: str) -> str:
        """The Welsh for "cy" when the board gave it; the English otherwise."""
        return self.welsh if language == "cy" and self.welsh else str.__str__(self)

    def __html__(self) -> Markup:
        return escape(self.in_language(_page_language()))
