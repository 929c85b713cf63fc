"""Sign-ins per second end to end through the emulator, and outbound calls to the authority per sign-in.

Baseline, side by side: the same emulator pages driven the same way, but the code redeemed by a bare MSAL
client in this process (no portal). Calls to the authority are read from the portal's own /metrics
(multiprocess mode, so both workers count). Prints tables; asserts nothing.
``.venv/bin/python -m bench.signin_bench [--sign-ins 20]``
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from bench.common import EXAMINER, table
from emulator.browser import SignInBrowser
from emulator.testing import DEMO_PASSWORD, running_emulator
from tests.support.servers import Browserless, free_port, mfa_codes, portal_url_for, private_redis, running_portal


def authority_calls(browser: Browserless) -> dict[str, float]:
    """Calls to the authority so far, by endpoint, summed over the portal's workers."""
    token = browser.portal.env["PORTAL_METRICS_TOKEN"]  # outside dev mode /metrics needs it
    text = browser.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
    pattern = r'^portal_authority_request_seconds_count\{endpoint="(\w+)"\} ([0-9.e+]+)$'
    return {m[1]: float(m[2]) for m in re.finditer(pattern, text, re.M)}


def portal_sign_ins(portal, emu, count: int) -> float:
    started = time.monotonic()
    for _ in range(count):
        browser = Browserless(portal, emu)
        if browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER)).status_code != 200:
            raise SystemExit("a sign-in failed")
        browser.close()
    return count / (time.monotonic() - started)


def msal_sign_ins(emu, portal_url: str, count: int) -> float:
    started = time.monotonic()
    for _ in range(count):
        with emu.http_session() as http:
            app = emu.msal_app(http)
            flow = app.initiate_auth_code_flow([], redirect_uri=f"{portal_url}/auth/callback",
                                               response_mode="form_post")
            reply = SignInBrowser(http, emu.base_url).sign_in(
                flow["auth_uri"], email=EXAMINER, password=DEMO_PASSWORD, mfa_code=mfa_codes(emu, EXAMINER))
            if "id_token" not in app.acquire_token_by_auth_code_flow(flow, reply.params):
                raise SystemExit("baseline sign-in failed")
    return count / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=20, help="sign-ins per measured run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="signin-bench-") as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        with private_redis(tmp) as store, \
                running_emulator(tmp, test_mode=True, portal_url=portal_url_for(port)) as emu, \
                running_portal(emu, tmp, store.url, port=port, workers=2,
                               PROMETHEUS_MULTIPROC_DIR=str(tmp / "prometheus")) as portal:
            probe = Browserless(portal, emu)
            # Warm-up: each worker fetches discovery (MSAL and the portal) and keys once, on its first /login and
            # first callback; which worker serves what is up to gunicorn, so warm up with a margin.
            portal_sign_ins(portal, emu, 12)
            before = authority_calls(probe)
            portal_rate = portal_sign_ins(portal, emu, args.sign_ins)
            after = authority_calls(probe)
            msal_rate = msal_sign_ins(emu, portal.url, args.sign_ins)
    calls = {k: (after.get(k, 0) - before.get(k, 0)) / args.sign_ins for k in sorted(set(after) | set(before))}
    print(table(f"Sign-ins end to end ({args.sign_ins} sequential, TOTP + stay signed in, emulator on https)", [
        ("portal under gunicorn (2 workers)", f"{portal_rate:.1f}", f"{portal_rate / msal_rate:.2f}"),
        ("baseline: bare MSAL client in-process", f"{msal_rate:.1f}", "1.00"),
    ], ("who redeems the code", "sign-ins/s", "ratio to baseline")))
    print(table("Outbound calls from the portal to the authority per steady-state sign-in",
                [(k, f"{v:.2f}") for k, v in calls.items()] + [("total", f"{sum(calls.values()):.2f}")],
                ("endpoint", "calls per sign-in")))


if __name__ == "__main__":
    main()
