"""Data-layer messages and stored status-code meanings: English as before, Welsh where pages show them."""

from __future__ import annotations

import pytest

from portal_app.data.messages import Message
from portal_app.data.validation import parse_mark
from portal_app.web.i18n import COOKIE
from portal_app.web.messages import message_text, status_meaning

CODES = {"A": "Absent", "CF": "Carried forward"}


@pytest.mark.parametrize("raw, english, welsh", [
    ("61", "61 is more than the maximum mark of 60.", "Mae 61 yn uwch na'r marc uchaf, sef 60."),
    ("2.5", "Marks are whole numbers: 2.5 is not. Enter a whole number from 0 to 60, or A (absent), "
            "CF (carried forward).",
     "Rhifau cyfan yw marciau, ac nid yw 2.5 yn rhif cyfan. Rhowch rif cyfan o 0 i 60, neu A (absennol), "
     "CF (wedi'i gario ymlaen)."),
    ("-1", "Marks cannot be negative. Enter a whole number from 0 to 60, or A (absent), CF (carried forward).",
     "Ni all marc fod yn negatif. Rhowch rif cyfan o 0 i 60, neu A (absennol), CF (wedi'i gario ymlaen)."),
    ("x" * 17, "That is too long. Enter a whole number from 0 to 60, or A (absent), CF (carried forward).",
     "Mae hynny'n rhy hir. Rhowch rif cyfan o 0 i 60, neu A (absennol), CF (wedi'i gario ymlaen)."),
    ("abc", "Enter a whole number from 0 to 60, or A (absent), CF (carried forward).",
     "Rhowch rif cyfan o 0 i 60, neu A (absennol), CF (wedi'i gario ymlaen)."),
    (True, "Enter a whole number from 0 to 60, or A (absent), CF (carried forward).",
     "Rhowch rif cyfan o 0 i 60, neu A (absennol), CF (wedi'i gario ymlaen)."),
])
def test_a_refused_mark_reads_the_same_in_english_and_translates_to_welsh(app, raw, english, welsh):
    message = parse_mark(raw, 60, CODES)
    assert isinstance(message, Message) and message == english  # logs and the data layer's tests: English
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}=en"}):
        assert message_text(message) == english
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}=cy"}):
        assert message_text(message) == welsh


def test_without_status_codes_the_hint_names_only_numbers(app):
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}=cy"}):
        assert message_text(parse_mark("q", 80, {})) == "Rhowch rif cyfan o 0 i 80."


@pytest.mark.parametrize("text", ["Already final text", "", None])
def test_plain_text_is_shown_as_it_is(app, text):
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}=cy"}):
        assert message_text(text) == (text or "")


@pytest.mark.parametrize("stored, welsh", [
    ("Absent", "Absennol"), ("absent ", "Absennol"), ("Carried forward", "Wedi'i gario ymlaen"),
    ("Medical note", "Medical note"), ("", ""),
])
def test_known_status_meanings_are_welsh_and_others_as_stored(app, stored, welsh):
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}=cy"}):
        assert status_meaning(stored) == welsh
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}=en"}):
        assert status_meaning(stored).casefold() == stored.strip().casefold()  # English: the stored words
