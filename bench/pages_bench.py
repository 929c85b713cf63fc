"""The pages people open most, under gunicorn: /services, /emi/ and /iamis/ vs a bare Flask route on the same session.

Signed-in demo users (the examiner for All Services and EMI, the principal moderator for IAMIS) on the demo
data; a bare Flask route loading the same Redis session (bench/bare_app.py) is the baseline, and the portal
plus a gated route that renders nothing (bench/portal_probe.py) separates the portal's layer (session,
guards, headers, logs, metrics) from the cost of each page's content. All measured side by side in one run,
in alternating rounds, by wrk when it is installed (else this harness's Python clients, which share the
CPU with the servers and so squeeze every ratio towards 1: the table says which).

Also: CPU time per request of each server's processes, Redis commands per page view, memory per worker and
the session's size in Redis. Prints tables; asserts nothing.
Sixteen keep-alive connections by default, as many as nginx's upstream keepalive pool (deploy/nginx): each
gunicorn worker listens on its own socket and the kernel spreads connections over them by hash, so with only
four, one worker got three or all four of them in most rounds and its GIL set the pace; which server had
the unlucky rounds then decided the ratios more than the code did.
``.venv/bin/python -m bench.pages_bench [--seconds 4] [--rounds 3] [--runs 1] [--clients 16] [--workers 2] [--preload]
[--postgres [SERVER_URL]]`` (the portal's data on PostgreSQL, DATABASE_URL or the local server, as in production)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import redis
from sqlalchemy import create_engine, text

from bench.common import (
    CLOCK_TICKS,
    EXAMINER,
    cookie_header,
    cpu_ticks,
    load_generator,
    redis_calls,
    rss_kib,
    signed_in_browser,
    table,
    throughput,
    wrk_throughput,
)
from emulator.testing import running_emulator
from portal_app.data.db import normalise_url
from tests.support.servers import REPO_ROOT, build_portal, free_port, portal_url_for, private_redis
from tests.support.sql import temporary_database

PRINCIPAL = "principal@wjec-appointees.co.uk"
PAGE_GOAL, LAYER_GOAL = 0.6, 0.9
BASELINE = "bare Flask + same Redis session"


@dataclass
class Target:
    name: str
    server: object
    path: str
    browser: object
    must_show: str = ""  # a marker proving the page rendered its real content, not an empty state
    goal: float = PAGE_GOAL
    rates: list[float] = field(default_factory=list)
    requests: int = 0
    ticks: int = 0

    @property
    def url(self) -> str:
        return f"{self.server.url}{self.path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each timed round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server")
    parser.add_argument("--clients", "--threads", type=int, default=16, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each server")
    parser.add_argument("--runs", type=int, default=1,
                        help="repeat the throughput comparison on the same servers and summarise the ratios "
                             "(median and range): on a shared machine one run can be off by a tenth")
    parser.add_argument("--preload", action="store_true",
                        help="all three servers with gunicorn's --preload (GUNICORN_PRELOAD=true)")
    parser.add_argument("--postgres", metavar="SERVER_URL", nargs="?",
                        const=os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres",
                        help="the portal's data in a throwaway database on this PostgreSQL server (the "
                             "production shape) instead of the embedded SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as tmp:
        if args.postgres:
            with temporary_database(normalise_url(args.postgres), "pages_bench") as url:
                run(Path(tmp), args, database_url=url)
        else:
            run(Path(tmp), args)


def run(tmp: Path, args, database_url: str | None = None) -> None:
    port = free_port()
    preload = ["--preload"] if args.preload else []
    on_postgres = {"DATABASE_URL": database_url} if database_url else {}
    with private_redis(tmp) as store, \
            running_emulator(tmp, test_mode=True, portal_url=portal_url_for(port)) as emu:
        portal = build_portal(emu, tmp, store.url, port=port, workers=args.workers, **on_postgres)
        bare = build_portal(emu, tmp, store.url, workers=args.workers, name="bare")
        # The probe shares the portal's database, Redis and cookie (cookies ignore ports on localhost).
        probe = build_portal(emu, tmp, store.url, workers=args.workers, name="probe",
                             DATABASE_URL=portal.env["DATABASE_URL"])
        for server, app in ((portal, "wsgi:app"), (bare, "bench.bare_app:app"), (probe, "bench.portal_probe:app")):
            server.args[-1:] = [*preload, app]
        try:
            if database_url:
                portal_command(portal, "migrate")  # the embedded SQLite file migrates itself in dev mode
            portal.start(ca_path=emu.ca_path)
            seed_demo_data(portal)
            bare.start(ca_path=emu.ca_path, wait_ready=False)
            probe.start(ca_path=emu.ca_path, wait_ready=True)
            examiner = signed_in_browser(portal, emu, EXAMINER)
            principal = signed_in_browser(portal, emu, PRINCIPAL)
            targets = [
                Target("portal /services", portal, "/services", examiner, 'id="service-menu"'),
                Target("portal /emi/", portal, "/emi/", examiner, 'data-testid="emi-list"'),
                Target("portal /iamis/", portal, "/iamis/", principal, 'data-testid="iamis-table"'),
                Target("portal layer only (gated probe)", probe, "/bench/gated", examiner, goal=LAYER_GOAL),
                Target(BASELINE, bare, "/bare", examiner),
            ]
            ratios = []
            for _ in range(args.runs):
                for target in targets:
                    target.rates, target.requests, target.ticks = [], 0, 0
                ratios.append(measure(args, targets, emu, redis.Redis.from_url(store.url)))
            if args.runs > 1:
                summarise(ratios, targets)
            after_a_write(portal, {EXAMINER: examiner, PRINCIPAL: principal})
            memory(portal, probe, bare, redis.Redis.from_url(store.url))
        finally:
            for server in (probe, bare, portal):
                server.stop()


def seed_demo_data(portal) -> None:
    """The demo allocations, marks and samples (``portal seed-demo``), so the mark lists have rows to show."""
    portal_command(portal, "seed-demo")


def portal_command(portal, command: str) -> None:
    """``flask --app wsgi portal COMMAND`` with the portal's environment; the bench stops if it fails."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "portal", command], cwd=REPO_ROOT,
                          env=portal.env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"portal {command} failed:\n{done.stdout}\n{done.stderr}")


def load(target: Target, args, generator: str, ca: str, seconds: float) -> tuple[float, int]:
    """(requests per second, requests) for one timed round on ``target``."""
    cookies = target.browser.http.cookies
    if generator == "wrk":
        return wrk_throughput(target.url, cookie_header(cookies), seconds=seconds, connections=args.clients)
    started = time.monotonic()
    rate = throughput(target.url, cookies, ca, seconds=seconds, threads=args.clients)
    return rate, round(rate * (time.monotonic() - started))


def measure(args, targets: list[Target], emu, client: redis.Redis) -> dict[str, float]:
    """Alternating timed rounds per server; the last target is the baseline. Returns each other's ratio to it."""
    generator, ca = load_generator(), str(emu.ca_path)
    for target in targets:
        page = target.browser.http.get(target.url, allow_redirects=False, timeout=15)
        if page.status_code != 200 or target.must_show not in page.text:
            raise SystemExit(f"bench stopped: {target.url} answered {page.status_code} without its content")
        load(target, args, generator, ca, seconds=1)  # warm-up: templates compiled, caches filled
    for _ in range(args.rounds):
        for target in targets:
            before = cpu_ticks(target.server.process.pid)
            rate, done = load(target, args, generator, ca, args.seconds)
            target.ticks += cpu_ticks(target.server.process.pid) - before
            target.rates.append(rate)
            target.requests += done
    baseline = mean(targets[-1].rates)
    rows = []
    for target in targets:
        before = redis_calls(client)
        for _ in range(100):
            target.browser.http.get(target.url, allow_redirects=False, timeout=10)
        trips = (redis_calls(client) - before) / 100
        cpu_ms = 1000 * target.ticks / CLOCK_TICKS / max(target.requests, 1)
        rows.append((target.name, f"{mean(target.rates):.0f}", f"{mean(target.rates) / baseline:.2f}",
                     f"{cpu_ms:.2f}", f"{trips:.2f}"))
    clients = f"wrk, {args.clients} connections" if generator == "wrk" else f"Python clients x {args.clients}"
    print(table(f"Page throughput ({args.workers} gunicorn workers x 4 threads{' --preload' if args.preload else ''}; "
                f"{'PostgreSQL' if args.postgres else 'SQLite'}; "
                f"{clients}; {args.rounds} x "
                f"{args.seconds:.0f}s alternating rounds each; https, loopback)", rows,
                ("server", "req/s", "ratio to bare", "CPU ms per request", "Redis commands per view")))
    for target in targets[:-1]:
        ratio = mean(target.rates) / baseline
        verdict = "meets" if ratio >= target.goal else "MISSES"
        print(f"{target.name}: {ratio:.2f} of bare ({verdict} the goal of {target.goal:.1f}); rounds "
              + ", ".join(f"{r:.0f}" for r in target.rates) + " req/s")
    print(f"{BASELINE}: rounds " + ", ".join(f"{r:.0f}" for r in targets[-1].rates) + " req/s")
    if generator != "wrk":
        print("(wrk is not installed: Python clients shared the CPU with the servers; ./scripts/setup installs wrk)")
    print()
    return {target.name: mean(target.rates) / baseline for target in targets[:-1]}


def summarise(ratios: list[dict[str, float]], targets: list[Target]) -> None:
    """Each server's ratio to the bare route, run by run, with the median the goal is judged on."""
    rows = []
    for target in targets[:-1]:
        seen = [run[target.name] for run in ratios]
        middle = median(seen)
        rows.append((target.name, " / ".join(f"{r:.2f}" for r in seen), f"{middle:.2f}",
                     f"{min(seen):.2f}-{max(seen):.2f}", "meets" if middle >= target.goal else "MISSES",
                     f"{target.goal:.1f}"))
    print(table(f"Ratio to the bare route over {len(ratios)} runs on the same servers", rows,
                ("server", "run by run", "median", "range", "median vs goal", "goal")))
    print()


# A write that changes no value but moves the stamps of every component the user's list shows, as a mark saved
# by anyone on those components would (portal_app/data/change_stamps.py).
_TOUCH = text("UPDATE mark SET version = version WHERE entry_id IN (SELECT e.id FROM entry e JOIN allocation a "
              "ON a.component_id = e.component_id WHERE a.email = :email)")


def after_a_write(portal, browsers: dict[str, object], views: int = 60) -> None:
    """Milliseconds per view of each mark list, its data unchanged (kept rendered) and just written (read again).

    Sequential views by one client, the write outside the timed request: what a list costs when its cache
    cannot help, beside what it costs when it can.
    """
    engine = create_engine(portal.env["DATABASE_URL"])
    rows = []
    for (path, email) in (("/emi/", EXAMINER), ("/iamis/", PRINCIPAL)):
        http, url = browsers[email].http, f"{portal.url}{path}"
        timings: dict[str, list[float]] = {"unchanged": [], "written": []}
        for n in range(2 * views):
            written = n % 2 == 1
            if written:
                with engine.begin() as connection:
                    connection.execute(_TOUCH, {"email": email})
            started = time.perf_counter()
            http.get(url, allow_redirects=False, timeout=10)
            timings["written" if written else "unchanged"].append(1000 * (time.perf_counter() - started))
        unchanged, written = (sorted(timings[k])[len(timings[k]) // 2] for k in ("unchanged", "written"))
        rows.append((f"portal {path}", f"{unchanged:.2f}", f"{written:.2f}", f"{written / unchanged:.2f}"))
    engine.dispose()
    print(table(f"Mark lists, one client, median of {views} views each (a view after a write reads the list again)",
                rows, ("page", "unchanged ms", "after a write ms", "ratio")))
    print()


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def memory(portal, probe, bare, client: redis.Redis) -> None:
    rows = [(name, pid, f"{rss_kib(pid) / 1024:.1f}")
            for name, server in (("portal", portal), ("probe", probe), ("bare", bare))
            for pid in server.worker_pids()]
    print(table("Memory per gunicorn worker (RSS after the run)", rows, ("server", "pid", "MiB")))
    keys = list(client.scan_iter("portal:session:*"))
    sizes = [(k.decode()[:30] + "...", client.strlen(k), client.memory_usage(k)) for k in keys]
    print(table("Session size in Redis per signed-in user", sizes,
                ("key", "value bytes", "Redis MEMORY USAGE bytes")))


if __name__ == "__main__":
    main()
