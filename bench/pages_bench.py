"""Gated page throughput: a signed-in /services under gunicorn vs a bare Flask route on the same Redis session.

Also: Redis round trips per page view, memory per worker, session size in Redis per signed-in user.
Prints tables; asserts nothing. ``.venv/bin/python bench/pages_bench.py [--seconds 5] [--threads 4]``
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import redis

from bench.common import redis_calls, rss_kib, signed_in_browser, table, throughput
from emulator.testing import running_emulator
from tests.support.servers import build_portal, free_port, portal_url_for, private_redis, running_portal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each timed round")
    parser.add_argument("--threads", type=int, default=4, help="concurrent keep-alive clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for both servers")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as tmp:
        run(Path(tmp), args)


def run(tmp: Path, args) -> None:
    port = free_port()
    with private_redis(tmp) as store, \
            running_emulator(tmp, test_mode=True, portal_url=portal_url_for(port)) as emu, \
            running_portal(emu, tmp, store.url, port=port, workers=args.workers) as portal:
        bare = build_portal(emu, tmp, store.url, workers=args.workers, name="bare")
        bare.args[-1] = "bench.bare_app:app"
        bare.start(ca_path=emu.ca_path, wait_ready=False)
        try:
            browser = signed_in_browser(portal, emu)
            measure(args, portal, bare, browser, emu, store)
        finally:
            bare.stop()


def measure(args, portal, bare, browser, emu, store) -> None:
    ca = str(emu.ca_path)
    cookies = browser.http.cookies
    throughput(f"{portal.url}/services", cookies, ca, seconds=1, threads=args.threads)  # warm-up
    throughput(f"{bare.url}/bare", cookies, ca, seconds=1, threads=args.threads)
    portal_rates, bare_rates = [], []
    for _ in range(args.rounds):
        portal_rates.append(throughput(f"{portal.url}/services", cookies, ca, seconds=args.seconds,
                                       threads=args.threads))
        bare_rates.append(throughput(f"{bare.url}/bare", cookies, ca, seconds=args.seconds, threads=args.threads))
    p, b = sum(portal_rates) / len(portal_rates), sum(bare_rates) / len(bare_rates)
    client = redis.Redis.from_url(store.url)
    trips = {}
    for name, url in (("portal /services", f"{portal.url}/services"), ("bare /bare", f"{bare.url}/bare")):
        before = redis_calls(client)
        for _ in range(100):
            browser.http.get(url, allow_redirects=False, timeout=10)
        trips[name] = (redis_calls(client) - before) / 100
    print(table(f"Gated page throughput ({args.workers} gunicorn workers x 4 threads, {args.threads} clients, "
                f"{args.rounds} x {args.seconds:.0f}s rounds each, https, loopback)", [
        ("portal /services", f"{p:.0f}", f"{p / b:.2f}", f"{trips['portal /services']:.2f}"),
        ("bare Flask + same Redis session", f"{b:.0f}", "1.00", f"{trips['bare /bare']:.2f}"),
    ], ("server", "req/s", "ratio to bare", "Redis commands per view")))
    print(f"portal layer cost: {(1 - p / b) * 100:.0f}% of bare throughput\n")
    memory(portal, bare, client)


def memory(portal, bare, client) -> None:
    rows = [(name, pid, f"{rss_kib(pid) / 1024:.1f}") for name, server in (("portal", portal), ("bare", bare))
            for pid in server.worker_pids()]
    print(table("Memory per gunicorn worker (RSS after the run)", rows, ("server", "pid", "MiB")))
    keys = list(client.scan_iter("portal:session:*"))
    sizes = [(k.decode()[:30] + "...", client.strlen(k), client.memory_usage(k)) for k in keys]
    print(table("Session size in Redis per signed-in user", sizes,
                ("key", "value bytes", "Redis MEMORY USAGE bytes")))


if __name__ == "__main__":
    main()
