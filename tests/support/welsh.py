"""Scanning rendered pages for English: the visible text (and attributes users read) of a page meant in Welsh.

Shared by the portal's Welsh page walk (tests/portal_app/test_i18n_pages.py), the emulator's Welsh sign-in pages
and the browser suite's Welsh walk.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Text that is the same in both languages: the bilingual logo.
SAME_IN_BOTH = {"wjec", "cbac", "wjec cbac"}
# English words of the portal's and Microsoft's pages and messages. Data stays as stored (component titles the
# board gave only in English, such as "LATIN LITERATURE", names, e-mail addresses and URLs), and none of these
# words occurs in it.
ENGLISH_WORDS = {
    "the", "and", "your", "you", "of", "to", "is", "are", "not", "this", "that", "with", "from", "please",
    "enter", "mark", "marks", "save", "submit", "submitted", "draft", "sign", "page", "found", "could", "try",
    "again", "whole", "number", "absent", "carried", "forward", "connect", "answer", "seconds", "redirect",
    "request", "allowed", "candidate", "centre", "review", "report", "team", "services", "search", "status",
    "maximum", "negative", "long", "forbidden", "permission", "back", "nothing", "changed", "sheet",
    # Microsoft's sign-in pages (the emulator's)
    "password", "account", "verify", "identity", "code", "stay", "signed", "yes", "next", "continue", "email",
    "phone", "forgotten", "working", "script", "click", "emulator", "local", "sorry", "trouble", "expired",
}
WORD = re.compile(r"[A-Za-z']+")
URL_OR_EMAIL = re.compile(r"https?://\S+|\S+@\S+")


class VisibleText(HTMLParser):
    """Collects text nodes and user-visible attributes that contain letters.

    ``identifiers=False`` leaves out <code> elements: protocol error codes (``invalid_request``) and references,
    which are the same in every language.
    """

    ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")

    def __init__(self, *, identifiers: bool = True) -> None:
        super().__init__()
        self.found: list[str] = []
        self.skip = 0
        self.hidden = ("script", "style") if identifiers else ("script", "style", "code")

    def handle_starttag(self, tag, attrs):
        if tag in self.hidden:
            self.skip += 1
        for name, value in attrs:
            if name in self.ATTRIBUTES and value and re.search(r"[A-Za-z]", value) \
                    and value.lower() not in SAME_IN_BOTH:
                self.found.append(f"{name}={value!r}")

    def handle_endtag(self, tag):
        if tag in self.hidden:
            self.skip -= 1

    def handle_data(self, data):
        text = data.strip()
        if not self.skip and re.search(r"[A-Za-z]", text) and text.lower() not in SAME_IN_BOTH:
            self.found.append(text)


def english_words(html: str) -> list[str]:
    """The visible text's words (attributes users read included) that are English UI words."""
    parser = VisibleText(identifiers=False)
    parser.feed(html)
    text = URL_OR_EMAIL.sub(" ", " ".join(parser.found))
    return sorted({word for word in WORD.findall(text) if word.lower() in ENGLISH_WORDS})
