"""Marks kept across a sign-in, as an attacker would use them (issue 13): bounded, same-origin, signed.

An anonymous POST to a mark sheet is kept for after sign-in. It must not let anyone fill Redis (only the
sheet's own fields, values of at most 16 characters), and a cross-site page must not be able to pre-fill a
victim's sheet (same-origin only, with a stash token that is checked without a session).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
import redis

from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import EXAMINER, sign_in_as

ANONYMOUS_PREFIX = "portal:anon:"  # where records of anonymous visitors live, apart from sessions
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}


def sheet_form(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(csrf_token|expected_version|stash_token)" value="([^"]*)"', html))
    fields.update(re.findall(r'name="(mark-\d+)" id="mark-\d+" value="([^"]*)"', html))
    return fields


@pytest.fixture
def ended(browser):
    """An examiner who opened sheet 1, whose session then ended: (browser, the form as the page holds it)."""
    sign_in_as(browser, EXAMINER)
    form = sheet_form(browser.client.get("/emi/allocations/1").get_data(as_text=True))
    browser.client.delete_cookie("portal_session", domain="localhost")
    return browser, form


def kept_record_keys(redis_url: str) -> set[bytes]:
    return set(redis.Redis.from_url(redis_url).scan_iter(match=ANONYMOUS_PREFIX + "stash:*", count=1000))


def restore_key(location: str) -> str:
    return re.search(r"restore%3D([A-Za-z0-9_-]+)", location).group(1)


def test_only_the_sheets_own_fields_are_kept_each_at_most_16_characters(ended, redis_url):
    browser, form = ended
    own = [k for k in form if k.startswith("mark-")]
    junk = {f"mark-{900000 + i}": "9" * 16 for i in range(20000)}  # ~600 KB of fields no sheet has
    posted = {**form, **junk, own[0]: "55", own[1]: "x" * 1_000_000, own[2]: "12345678901234567"}

    response = browser.client.post("/emi/allocations/1", data=posted, headers=SAME_ORIGIN)

    assert response.status_code == 303
    raw = redis.Redis.from_url(redis_url).get(ANONYMOUS_PREFIX + "stash:" + restore_key(response.location))
    assert raw is not None
    # At most 40 bytes per field of this sheet, plus the record's own few hundred bytes.
    assert len(raw) <= 40 * len(own) + 512, len(raw)
    assert b"900000" not in raw and b"xxxxxxxxxx" not in raw and b"12345678901234567" not in raw
    assert b'"55"' in raw


def test_only_the_sheets_own_not_received_ticks_are_kept(ended, redis_url):
    browser, form = ended
    own = [k.removeprefix("mark-") for k in form if k.startswith("mark-")]
    junk = {f"not-received-{900000 + i}": "1" for i in range(20000)}  # boxes no sheet has
    ticks = {f"not-received-{entry}": "1" for entry in own}

    response = browser.client.post("/emi/allocations/1", data={**form, **junk, **ticks}, headers=SAME_ORIGIN)

    assert response.status_code == 303
    raw = redis.Redis.from_url(redis_url).get(ANONYMOUS_PREFIX + "stash:" + restore_key(response.location))
    assert raw is not None and b"900000" not in raw
    assert all(f'"not-received-{entry}"'.encode() in raw for entry in own)
    # At most 40 bytes per tick of this sheet, plus the record's own few hundred bytes.
    assert len(raw) <= 40 * len(own) + 512, len(raw)


def test_a_cross_site_post_cannot_prefill_a_victims_sheet(browser, redis_url):
    # The attacker's page auto-posts marks to the victim's sheet from the victim's (signed-out) browser.
    before = kept_record_keys(redis_url)
    field = "mark-1"
    response = browser.client.post("/emi/allocations/1", data={field: "0", "action": "save"}, headers=CROSS_SITE)

    if response.status_code == 303:  # what the portal did before: keep them, and send the victim to sign in
        after_sign_in = browser.sign_in(next_path=unquote(response.location.split("next=", 1)[1]), **EXAMINER)
        html = browser.client.get(after_sign_in.location).get_data(as_text=True)
        assert "were not saved" not in html and sheet_form(html).get(field) != "0", "the attacker pre-filled it"
    assert response.status_code == 403
    assert "could not be checked" in response.get_data(as_text=True)
    assert kept_record_keys(redis_url) == before


@pytest.mark.parametrize("headers", [
    {},  # neither Fetch Metadata nor Origin: refused, not guessed
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:5000"},  # a sibling site is not this origin
    {"Sec-Fetch-Site": "none"},
], ids=["no-headers", "other-origin", "null-origin", "same-site", "none"])
def test_an_anonymous_post_that_is_not_same_origin_is_not_kept(ended, redis_url, headers):
    browser, form = ended
    before = kept_record_keys(redis_url)
    response = browser.client.post("/emi/allocations/1", data={**form, "mark-1": "1"}, headers=headers)
    assert response.status_code == 403
    assert kept_record_keys(redis_url) == before


def test_the_origin_header_is_enough_where_the_browser_sends_no_fetch_metadata(ended):
    browser, form = ended
    field = next(k for k in form if k.startswith("mark-"))
    response = browser.client.post("/emi/allocations/1", data={**form, field: "7"},
                                   headers={"Origin": "http://localhost:5000"})
    assert response.status_code == 303 and "restore%3D" in response.location


@pytest.mark.parametrize("token", ["", "forged", "other-page"])
def test_a_post_without_this_pages_stash_token_is_not_kept(ended, browser, token):
    _, form = ended
    if token == "other-page":
        sign_in_as(browser, EXAMINER)
        other = sheet_form(browser.client.get("/emi/allocations/2").get_data(as_text=True))
        browser.client.delete_cookie("portal_session", domain="localhost")
        token = other["stash_token"]
    field = next(k for k in form if k.startswith("mark-"))
    response = browser.client.post("/emi/allocations/1", data={**form, field: "7", "stash_token": token},
                                   headers=SAME_ORIGIN)
    assert response.status_code == 403


def test_a_post_with_nothing_typed_just_goes_to_sign_in(browser):
    """Nothing to keep, nothing stored: no token is needed to be sent to the sign-in page (a cross-site post too)."""
    response = browser.client.post("/emi/allocations/1", data={"action": "save"}, headers=CROSS_SITE)
    assert response.status_code == 303 and "restore%3D" not in response.location


def test_kept_marks_come_back_for_the_user_whose_sheet_it_was(ended):
    browser, form = ended
    field = next(k for k in form if k.startswith("mark-"))
    response = browser.client.post("/emi/allocations/1", data={**form, field: "41"}, headers=SAME_ORIGIN)
    after = browser.sign_in(next_path=unquote(response.location.split("next=", 1)[1]), **EXAMINER)
    html = browser.client.get(after.location).get_data(as_text=True)
    assert "were not saved" in html and sheet_form(html)[field] == "41"
