"""Shared set-up for the benches: an emulator, a private Redis and gunicorn servers in a temporary folder."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import redis
import requests

from tests.support.servers import Browserless, mfa_codes

EXAMINER = "examiner@wjec-appointees.co.uk"


def redis_calls(client: redis.Redis) -> int:
    """Commands Redis has served so far (INFO itself excluded)."""
    stats = client.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")


def throughput(url: str, cookies, ca: str, *, seconds: float, threads: int) -> float:
    """Requests per second for GET ``url`` from ``threads`` keep-alive clients; every answer must be 200."""
    counts = [0] * threads
    errors: list[str] = []
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        with requests.Session() as http:
            http.trust_env = False
            http.verify = ca
            http.cookies.update(cookies)
            while time.monotonic() < stop_at:
                response = http.get(url, allow_redirects=False, timeout=10)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} from {url}")
                    return
                counts[index] += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise SystemExit(f"bench stopped: {errors[0]}")
    return sum(counts) / (time.monotonic() - started)


def signed_in_browser(portal, emu) -> Browserless:
    browser = Browserless(portal, emu)
    page = browser.sign_in(EXAMINER, "WjecDemo!2026", mfa_codes(emu, EXAMINER))
    if page.status_code != 200:
        raise SystemExit(f"sign-in failed: {page.status_code}")
    return browser


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def table(title: str, rows: list[tuple], headers: tuple) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([title, line(headers), line(["-" * w for w in widths]), *map(line, rows), ""])
