"""Shared set-up for the benches: an emulator, a private Redis and gunicorn servers in a temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
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


def wrk_throughput(url: str, cookie_header: str, *, seconds: float, connections: int) -> tuple[float, int]:
    """(requests per second, requests) for GET ``url`` from wrk's keep-alive connections; all must be 200.

    wrk is C and event-driven: on a 2-core machine it takes far less of the CPU the servers share than Python
    clients do, so the ratios between servers are not squeezed towards 1 by the client's own cost.
    """
    done = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                           "-H", f"Cookie: {cookie_header}", url], capture_output=True, text=True, timeout=seconds + 60)
    # Socket errors alone (a worker recycled by max_requests closes its keep-alive connections) are not fatal.
    if done.returncode != 0 or "Non-2xx" in done.stdout:
        raise SystemExit(f"bench stopped: wrk on {url} saw errors:\n{done.stdout}{done.stderr}")
    requests_done = int(re.search(r"(\d+) requests in", done.stdout)[1])
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)[1])
    return rate, requests_done


def load_generator() -> str:
    """``wrk`` when it is installed (scripts/setup installs Debian's), else this harness's Python clients."""
    return "wrk" if shutil.which("wrk") else "python"


def cookie_header(cookies, host: str = "localhost") -> str:
    """The Cookie header a browser would send to ``host`` from a requests cookie jar."""
    return "; ".join(f"{c.name}={c.value}" for c in cookies if c.domain in (host, f"{host}.local", ""))


def cpu_ticks(arbiter_pid: int) -> int:
    """CPU time (clock ticks) used so far by a gunicorn arbiter, its live workers and the workers it reaped."""
    def fields(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    own = fields(arbiter_pid)
    total = sum(int(x) for x in own[11:15])  # utime, stime, cutime, cstime (workers that exited)
    children = Path(f"/proc/{arbiter_pid}/task/{arbiter_pid}/children")
    for pid in children.read_text().split() if children.exists() else []:
        try:
            total += sum(int(x) for x in fields(int(pid))[11:13])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a worker recycled during the read: its time is in cutime at the next read
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def signed_in_browser(portal, emu, email: str = EXAMINER) -> Browserless:
    browser = Browserless(portal, emu)
    page = browser.sign_in(email, "WjecDemo!2026", mfa_codes(emu, email))
    if page.status_code != 200:
        raise SystemExit(f"sign-in of {email} failed: {page.status_code}")
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
