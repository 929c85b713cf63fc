"""The signed-in user in the session: a clean start, who is signed in, when it ends, the idle clock and CSRF."""

from __future__ import annotations

import pytest

from auth import user_session
from auth.sealing import Sealer
from auth.tokens import Identity
from tests.support.signed_tokens import APPOINTEE_TENANT_ID, EXAMINER_OID

SIGNED_IN_AT = 10_000.0
IDLE = 900.0
ABSOLUTE = 8 * 3600.0
SEALER = Sealer("test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz", purpose="token cache")

EXAMINER = Identity(tenant_id=APPOINTEE_TENANT_ID, object_id=EXAMINER_OID, subject="examiner-pairwise-sub",
                    display_name="Eleri Evans", username="examiner@wjec-appointees.co.uk", session_id="sid-1")
MODERATOR = Identity(tenant_id=APPOINTEE_TENANT_ID, object_id="22222222-2222-4222-8222-222222222222",
                     subject="moderator-pairwise-sub", display_name="Morgan Jones",
                     username="moderator@wjec-appointees.co.uk", session_id=None)


class RecordingSession(dict):
    """A session that remembers which keys were written, as Flask's session marks itself modified."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.written: list[str] = []

    def __setitem__(self, key, value) -> None:
        self.written.append(key)
        super().__setitem__(key, value)


def signed_in(session=None, identity: Identity = EXAMINER, **overrides):
    """``session`` after ``user_session.start`` with test defaults; every call site goes through here.

    Keyword arguments only, so a keyword ``start`` gains later (``roles=``) needs a default here, not in every test.
    """
    session = RecordingSession() if session is None else session
    arguments = {"token_cache": '{"AccessToken": {}}', "sealer": SEALER, "now": SIGNED_IN_AT, "login_hint": None,
                 **overrides}
    user_session.start(session, identity, **arguments)
    return session


def expired_reason(session, now: float):
    return user_session.expired_reason(session, now=now, idle_seconds=IDLE, absolute_seconds=ABSOLUTE)


# --- start -------------------------------------------------------------------------------------------------


def test_start_records_the_user_by_tenant_and_object_id():
    user = user_session.current_user(signed_in(login_hint="examiner@wjec-appointees.co.uk"))
    assert user == {
        "tid": APPOINTEE_TENANT_ID, "oid": EXAMINER_OID, "sub": "examiner-pairwise-sub", "name": "Eleri Evans",
        "username": "examiner@wjec-appointees.co.uk", "sid": "sid-1", "login_hint": "examiner@wjec-appointees.co.uk",
    }


def test_start_keeps_the_token_cache_and_starts_every_clock_at_sign_in():
    session = signed_in(token_cache="serialized-cache", now=12_345.0)
    assert user_session.token_cache(session, SEALER) == "serialized-cache"
    assert session[user_session.SIGNED_IN_AT] == 12_345.0
    assert session[user_session.LAST_SEEN] == 12_345.0
    assert session[user_session.REFRESHED_AT] == 12_345.0


def test_start_throws_away_everything_the_session_held_before():
    # Whatever an earlier visitor of this browser left (another user, a half-done form) must not survive sign-in.
    session = signed_in(identity=MODERATOR, token_cache="moderator-cache")
    session["emi.draft"] = {"candidate": 42}

    signed_in(session, identity=EXAMINER, token_cache="examiner-cache")

    assert user_session.current_user(session)["oid"] == EXAMINER_OID
    assert user_session.token_cache(session, SEALER) == "examiner-cache"
    assert "emi.draft" not in session


def test_start_issues_a_new_csrf_token():
    session = signed_in()
    before = user_session.csrf_token(session)
    signed_in(session)
    assert user_session.csrf_token(session) != before


# --- current_user ------------------------------------------------------------------------------------------


def test_nobody_is_signed_in_in_an_empty_session():
    assert user_session.current_user({}) is None


@pytest.mark.parametrize(
    "user",
    [
        pytest.param("examiner@wjec-appointees.co.uk", id="string"),
        pytest.param(["tid", "oid"], id="list"),
        pytest.param({}, id="empty"),
        pytest.param({"tid": APPOINTEE_TENANT_ID}, id="no-oid"),
        pytest.param({"oid": EXAMINER_OID}, id="no-tid"),
        pytest.param({"tid": APPOINTEE_TENANT_ID, "oid": ""}, id="empty-oid"),
        pytest.param({"tid": "", "oid": EXAMINER_OID}, id="empty-tid"),
        pytest.param({"username": "examiner@wjec-appointees.co.uk", "name": "Eleri Evans"}, id="name-only"),
    ],
)
def test_a_user_entry_without_tenant_and_object_id_is_nobody(user):
    assert user_session.current_user({user_session.USER: user}) is None


# --- expired_reason ----------------------------------------------------------------------------------------


def test_a_fresh_session_has_not_expired():
    assert expired_reason(signed_in(), now=SIGNED_IN_AT) is None


def test_idle_ends_the_session_only_after_the_idle_limit():
    session = signed_in()
    assert expired_reason(session, now=SIGNED_IN_AT + IDLE) is None
    assert expired_reason(session, now=SIGNED_IN_AT + IDLE + 1) == "idle"


def test_activity_keeps_the_session_from_going_idle():
    session = signed_in()
    now = SIGNED_IN_AT
    while now < SIGNED_IN_AT + 3 * IDLE:
        now += IDLE / 2
        assert expired_reason(session, now=now) is None
        user_session.touch(session, now)


def test_activity_never_extends_the_absolute_limit():
    session = signed_in()
    now = SIGNED_IN_AT
    while now < SIGNED_IN_AT + ABSOLUTE:
        now += IDLE / 2
        user_session.touch(session, now)
    assert expired_reason(session, now=SIGNED_IN_AT + ABSOLUTE) is None
    assert expired_reason(session, now=SIGNED_IN_AT + ABSOLUTE + 1) == "absolute"


def test_absolute_limit_is_reported_before_idle():
    assert expired_reason(signed_in(), now=SIGNED_IN_AT + ABSOLUTE + 1) == "absolute"


@pytest.mark.parametrize("key", [user_session.SIGNED_IN_AT, user_session.LAST_SEEN])
@pytest.mark.parametrize(
    "value", ["<missing>", None, "10000", [SIGNED_IN_AT]], ids=["missing", "null", "string", "list"]
)
def test_a_session_without_usable_clocks_is_incomplete(key, value):
    session = signed_in()
    if value == "<missing>":
        del session[key]
    else:
        session[key] = value
    assert expired_reason(session, now=SIGNED_IN_AT) == "incomplete"


def test_an_empty_session_is_incomplete():
    assert expired_reason({}, now=SIGNED_IN_AT) == "incomplete"


# --- touch ---------------------------------------------------------------------------------------------------


def test_touch_within_the_resolution_writes_nothing():
    # A page view should cost one store read; a write on every request would rewrite the session each time.
    session = signed_in()
    session.written.clear()
    user_session.touch(session, SIGNED_IN_AT + user_session.LAST_SEEN_RESOLUTION_SECONDS - 1)
    assert session.written == []
    assert session[user_session.LAST_SEEN] == SIGNED_IN_AT


def test_touch_after_the_resolution_moves_the_idle_clock():
    session = signed_in()
    later = SIGNED_IN_AT + user_session.LAST_SEEN_RESOLUTION_SECONDS
    user_session.touch(session, later)
    assert session[user_session.LAST_SEEN] == later
    assert session[user_session.SIGNED_IN_AT] == SIGNED_IN_AT


# --- CSRF ------------------------------------------------------------------------------------------------------


def test_csrf_token_is_stable_within_a_session():
    session = signed_in()
    assert user_session.csrf_token(session) == user_session.csrf_token(session)


def test_csrf_token_is_unguessable_and_differs_per_session():
    tokens = {user_session.csrf_token(signed_in()) for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(token) >= 32 for token in tokens)


def test_a_session_without_a_csrf_token_gets_one_and_keeps_it():
    session = {}
    token = user_session.csrf_token(session)
    assert len(token) >= 32
    assert user_session.csrf_token(session) == token
    assert user_session.csrf_matches(session, token)


def test_the_sessions_csrf_token_matches():
    session = signed_in()
    assert user_session.csrf_matches(session, user_session.csrf_token(session))


@pytest.mark.parametrize(
    "submitted",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("<other>", id="another-sessions-token"),
        pytest.param("<prefix>", id="prefix"),
        pytest.param("<upper>", id="case-changed"),
        pytest.param("<padded>", id="with-whitespace"),
    ],
)
def test_anything_but_the_sessions_csrf_token_does_not_match(submitted):
    session = signed_in()
    token = user_session.csrf_token(session)
    submitted = {
        "<other>": user_session.csrf_token(signed_in()),
        "<prefix>": token[:-1],
        "<upper>": token.upper() if token.upper() != token else token.lower(),
        "<padded>": f" {token} ",
    }.get(submitted, submitted)
    assert not user_session.csrf_matches(session, submitted)


@pytest.mark.parametrize("submitted", [None, ""])
def test_a_session_without_a_csrf_token_matches_nothing(submitted):
    # An empty expected token must not make "nothing submitted" a match.
    assert not user_session.csrf_matches({}, submitted)
    assert not user_session.csrf_matches({user_session.CSRF: ""}, submitted)


# --- the sealed token cache ---------------------------------------------------------------------------------


def test_the_token_cache_is_kept_sealed_never_in_clear():
    session = signed_in(token_cache='{"RefreshToken": {"x": {"secret": "refresh-secret"}}}')
    assert "refresh-secret" not in str(session[user_session.TOKEN_CACHE])
    assert "refresh-secret" in user_session.token_cache(session, SEALER)


def test_a_token_cache_copied_from_another_users_session_does_not_open():
    moderator = signed_in(identity=MODERATOR, token_cache="moderator-cache")
    examiner = signed_in(token_cache="examiner-cache")
    examiner[user_session.TOKEN_CACHE] = moderator[user_session.TOKEN_CACHE]
    assert user_session.token_cache(examiner, SEALER) == ""


@pytest.mark.parametrize("stored", ["", "not sealed", "v1.", "v1.AAAA", '{"RefreshToken": {}}', 42, None])
def test_a_token_cache_that_was_not_sealed_by_this_portal_does_not_open(stored):
    session = signed_in()
    session[user_session.TOKEN_CACHE] = stored
    assert user_session.token_cache(session, SEALER) == ""


def test_a_token_cache_sealed_under_another_secret_key_does_not_open():
    other = Sealer("another-secret-key-0123456789-abcdefghijklmnopqrstuv", purpose="token cache")
    session = signed_in(sealer=other, token_cache="cache")
    assert user_session.token_cache(session, SEALER) == ""


def test_a_refresh_seals_the_new_cache():
    session = signed_in(token_cache="old")
    user_session.refreshed(session, token_cache="new", sealer=SEALER, roles={}, now=SIGNED_IN_AT + 60)
    assert user_session.token_cache(session, SEALER) == "new"


def test_the_id_token_hint_is_the_id_token_in_the_cache():
    cache = '{"IdToken": {"key": {"secret": "header.payload.signature", "credential_type": "IdToken"}}}'
    assert user_session.id_token_hint(signed_in(token_cache=cache), SEALER) == "header.payload.signature"
    assert user_session.id_token_hint(signed_in(token_cache="{}"), SEALER) is None
    assert user_session.id_token_hint({}, SEALER) is None
