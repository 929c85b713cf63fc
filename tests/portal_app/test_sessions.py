"""Sessions: server-side in real Redis, rotated at sign-in, never adopted from a planted id, ended on logout."""

from __future__ import annotations

import redis

from portal_app import create_app
from portal_app.signin.backend import SESSION_KEY_PREFIX
from tests.portal_app.conftest import portal_test_config, query_of


def _session_cookie(client, name="portal_session"):
    return client.get_cookie(name)


def test_session_lives_in_redis_and_holds_no_token_in_the_cookie(client, auth, redis_url):
    auth.sign_in()
    cookie = _session_cookie(client)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    stored = redis.Redis.from_url(redis_url).get(SESSION_KEY_PREFIX + cookie.value)
    assert stored is not None
    assert b"refresh" not in cookie.value.encode() and len(cookie.value) < 100


def test_session_id_is_rotated_at_sign_in(client, auth, redis_url):
    auth.sign_in()
    first = _session_cookie(client).value
    auth.sign_in()  # a second sign-in in the same browser, which sends its old session cookie
    second = _session_cookie(client).value
    assert first != second
    assert redis.Redis.from_url(redis_url).get(SESSION_KEY_PREFIX + first) is None


def test_planted_session_id_never_carries_a_session(client, auth):
    client.set_cookie("portal_session", "attacker-chosen-session-id-0123456789", domain="localhost")
    auth.sign_in()
    assert _session_cookie(client).value != "attacker-chosen-session-id-0123456789"


def test_unknown_session_id_is_anonymous(client):
    client.set_cookie("portal_session", "x" * 43, domain="localhost")
    response = client.get("/services")
    assert response.status_code == 302 and response.location.startswith("/?next=")


def test_get_logout_only_asks_for_confirmation(client, auth):
    auth.sign_in()
    page = client.get("/logout")
    assert page.status_code == 200 and b"csrf_token" in page.data
    assert client.get("/services").status_code == 200


def test_post_logout_without_csrf_token_is_refused(client, auth):
    auth.sign_in()
    assert client.post("/logout").status_code == 400
    assert client.get("/services").status_code == 200


def test_logout_deletes_the_session_and_goes_to_end_session(client, auth, redis_url):
    auth.sign_in()
    sid = _session_cookie(client).value
    page = client.get("/logout")
    token = page.data.split(b'name="csrf_token" value="')[1].split(b'"')[0].decode()

    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.location.startswith("https://login.microsoftonline.com/")
    assert query_of(response.location)["post_logout_redirect_uri"] == "http://localhost:5000/"
    assert redis.Redis.from_url(redis_url).get(SESSION_KEY_PREFIX + sid) is None
    assert client.get("/services").status_code == 302


def test_https_deployment_uses_host_prefixed_secure_cookies_and_hsts(tmp_path, redis_url, entra):
    app = create_app(portal_test_config(tmp_path, redis_url, portal={"external_url": "https://portal.example"}))
    client = app.test_client()
    response = client.get("/login", base_url="https://portal.example")
    assert "__Host-portal_flow=" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers


def test_every_response_carries_security_headers(client):
    for path in ("/", "/healthz", "/does-not-exist", "/login?login_hint=bad"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_file_sessions_work_in_dev_mode(tmp_path, entra):
    app = create_app(portal_test_config(tmp_path))  # no Redis: the embedded default
    from tests.portal_app.conftest import SignInActions

    client = app.test_client()
    SignInActions(client, entra).sign_in()
    assert client.get("/services").status_code == 200


def test_a_page_view_costs_one_redis_read_and_no_write(client, auth, redis_url):
    import redis as redis_lib

    auth.sign_in()
    client.get("/services")
    server = redis_lib.Redis.from_url(redis_url)
    before = server.info("commandstats")
    for _ in range(5):
        assert client.get("/services").status_code == 200
    after = server.info("commandstats")

    def calls(command):
        key = f"cmdstat_{command}"
        return after.get(key, {}).get("calls", 0) - before.get(key, {}).get("calls", 0)

    # Other tests may share this Redis, so only this client's traffic is meaningful: 5 GETs, no SETs.
    assert calls("set") == 0
    assert calls("get") >= 5


def test_static_assets_carry_cache_headers_and_pages_do_not_cache(client):
    with client.get("/static/portal.css") as asset:
        assert asset.status_code == 200
        assert "max-age=3600" in asset.headers["Cache-Control"] and asset.headers.get("ETag")
    assert "no-store" in client.get("/").headers["Cache-Control"]


def test_signing_in_again_ends_the_previous_session_though_the_callback_brings_no_session_cookie(
        client, auth, redis_url, app):
    # ASVS 7.2.4. Entra's form_post back to the callback is a cross-site POST, so the browser leaves the Lax
    # session cookie behind; /login is same-site and does carry it.
    auth.sign_in()
    first = _session_cookie(client).value
    authorize = auth.start()
    client.delete_cookie("portal_session", domain="localhost")

    assert auth.callback(authorize).status_code == 303

    assert _session_cookie(client).value != first
    assert redis.Redis.from_url(redis_url).get(SESSION_KEY_PREFIX + first) is None
    old_browser = app.test_client()
    old_browser.set_cookie("portal_session", first, domain="localhost")
    assert old_browser.get("/services").status_code == 302


def test_sign_out_sends_the_id_token_as_id_token_hint(client, auth, entra):
    # OpenID Connect RP-Initiated Logout 1.0 recommends it; without it a strict provider asks the user to confirm.
    auth.sign_in()
    issued = [call.response.json()["id_token"] for call in entra.mock.calls if call.request.method == "POST"][-1]
    token = client.get("/logout").data.split(b'name="csrf_token" value="')[1].split(b'"')[0].decode()

    response = client.post("/logout", data={"csrf_token": token})

    assert query_of(response.location)["id_token_hint"] == issued
