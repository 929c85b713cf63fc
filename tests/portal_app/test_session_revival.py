"""A session that was ended stays ended, whatever requests were in flight (issue 13, ASVS 7.4.1).

The review's attack: a stolen session cookie keeps posting "Work as" while its owner signs out. Each post
reads the session, then writes it back; when the sign-out's delete lands between that read and that write,
a plain write re-creates the session, outside the sid and user index, so even "sign out everywhere" cannot
find it again. The race is run many times, over real HTTP (a threaded server in this process, so requests
really overlap), against real Redis and against the file backend, with each way a session is ended: sign
out here, "sign out everywhere" from another browser, and front-channel logout from the authority.
"""

from __future__ import annotations

import re
import threading
import uuid

import pytest
import redis
import requests
from werkzeug.serving import make_server

from portal_app import create_app
from portal_app.signin.backend import SESSION_KEY_PREFIX
from tests.portal_app.conftest import UNLIMITED, SignInActions, portal_test_config
from tests.portal_app.conftest_data import TEAM_LEADER

ITERATIONS = 30
STOLEN_COOKIE_POSTERS = 4
POSTS_AFTER_THE_END = 3  # each poster keeps going this many times after the session was ended
ENDINGS = ("logout", "everywhere", "front-channel")


@pytest.fixture(params=["redis", "files"])
def served(request, tmp_path, redis_url, entra):
    """The portal on either backend, served over HTTP by a threaded server; (app, base URL, stored(sid))."""
    use_redis = request.param == "redis"
    app = create_app(portal_test_config(tmp_path, redis_url if use_redis else None, limits=UNLIMITED,
                                        portal={"extra_hosts": ["127.0.0.1"]}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    entra.mock.add_passthru(base)  # responses fakes Entra only; requests to the portal itself go through
    client = redis.Redis.from_url(redis_url)

    def stored(sid: str) -> bool:
        if use_redis:
            return client.exists(SESSION_KEY_PREFIX + sid) == 1
        backend = app.extensions["portal.session_backend"]
        return backend.records.read(SESSION_KEY_PREFIX + sid) is not None

    yield app, base, stored
    server.shutdown()
    thread.join(timeout=10)
    client.close()


def _csrf(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def _sign_in(app, entra, authority_sid: str) -> tuple[SignInActions, str, str]:
    browser = SignInActions(app.test_client(), entra)
    assert browser.sign_in(**TEAM_LEADER, sid=authority_sid).status_code == 303
    csrf = _csrf(browser.client.get("/logout").data)
    return browser, browser.client.get_cookie("portal_session").value, csrf


def _keep_posting(base: str, sid: str, csrf: str, started: threading.Barrier, ended: threading.Event,
                  outcomes: list) -> None:
    """Post "Work as" with the stolen cookie until the session was ended, then a few times more."""
    http = requests.Session()
    http.cookies.set("portal_session", sid, domain="127.0.0.1", path="/")
    form = {"csrf_token": csrf, "role": "moderator", "next": "/iamis/"}
    started.wait()
    after_the_end = 0
    for _ in range(10_000):  # bounded: never loops for ever even if the session never ends
        response = http.post(f"{base}/work-as", data=form, allow_redirects=False, timeout=30)
        outcomes.append(response.status_code)
        if ended.is_set():
            after_the_end += 1
            if after_the_end >= POSTS_AFTER_THE_END:
                break
    http.close()


def _end(ending: str, victim: SignInActions, app, entra, authority_sid: str, csrf: str) -> None:
    if ending == "logout":
        assert victim.client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    elif ending == "everywhere":
        other, _, other_csrf = _sign_in(app, entra, str(uuid.uuid4()))  # the owner, in another browser
        assert other.client.post("/logout/everywhere", data={"csrf_token": other_csrf}).status_code == 303
    else:
        assert victim.client.get("/auth/frontchannel-logout", query_string={"sid": authority_sid}).status_code == 200


def test_an_ended_session_stays_ended_while_requests_race_it(served, entra):
    app, base, stored = served
    revived = []
    for iteration in range(ITERATIONS):
        ending = ENDINGS[iteration % len(ENDINGS)]
        authority_sid = str(uuid.uuid4())
        victim, sid, csrf = _sign_in(app, entra, authority_sid)
        started = threading.Barrier(STOLEN_COOKIE_POSTERS + 1, timeout=30)
        ended = threading.Event()
        outcomes: list[int] = []
        posters = [threading.Thread(target=_keep_posting, args=(base, sid, csrf, started, ended, outcomes))
                   for _ in range(STOLEN_COOKIE_POSTERS)]
        for poster in posters:
            poster.start()
        started.wait()  # every poster is about to send its first post: the end lands among requests in flight

        _end(ending, victim, app, entra, authority_sid, csrf)
        ended.set()
        for poster in posters:
            poster.join(timeout=60)

        assert all(not poster.is_alive() for poster in posters)
        assert outcomes and set(outcomes) <= {303, 302}, outcomes
        after = requests.get(f"{base}/services", cookies={"portal_session": sid}, allow_redirects=False, timeout=30)
        if after.status_code != 302 or stored(sid):
            revived.append((iteration, ending, after.status_code, stored(sid)))
    assert revived == [], f"{len(revived)} of {ITERATIONS} ended sessions came back: {revived}"
