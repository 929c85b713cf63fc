"""Gated page throughput: a signed-in /services under gunicorn vs a bare Flask route on the same Redis session.

A third server, the portal plus a gated route that renders nothing (bench/portal_probe.py), separates the
portal's layer (session, guards, headers, logs, metrics) from the cost of the All Services page's content.

Also: Redis round trips per page view, memory per worker, session size in Redis per signed-in user.
Prints tables; asserts nothing. ``.venv/bin/python -m bench.pages_bench [--seconds 5] [--threads 4]``
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
        # The probe shares the portal's database, Redis and cookie (cookies ignore ports on localhost).
        probe = build_portal(emu, tmp, store.url, workers=args.workers, name="probe",
                             DATABASE_URL=portal.env["DATABASE_URL"])
        probe.args[-1] = "bench.portal_probe:app"
        probe.start(ca_path=emu.ca_path, wait_ready=True)
        try:
            browser = signed_in_browser(portal, emu)
            measure(args, {"portal /services": f"{portal.url}/services",
                           "portal layer only (gated probe)": f"{probe.url}/bench/gated",
                           "bare Flask + same Redis session": f"{bare.url}/bare"}, browser, emu, store)
            memory(portal, bare, redis.Redis.from_url(store.url))
        finally:
            probe.stop()
            bare.stop()


def measure(args, urls: dict[str, str], browser, emu, store) -> None:
    """Alternating timed rounds per server; the last entry of ``urls`` is the baseline."""
    ca, cookies = str(emu.ca_path), browser.http.cookies
    for url in urls.values():
        throughput(url, cookies, ca, seconds=1, threads=args.threads)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(args.rounds):
        for name, url in urls.items():
            rates[name].append(throughput(url, cookies, ca, seconds=args.seconds, threads=args.threads))
    client = redis.Redis.from_url(store.url)
    mean = {name: sum(r) / len(r) for name, r in rates.items()}
    baseline = mean[list(urls)[-1]]
    rows = []
    for name, url in urls.items():
        before = redis_calls(client)
        for _ in range(100):
            browser.http.get(url, allow_redirects=False, timeout=10)
        trips = (redis_calls(client) - before) / 100
        rows.append((name, f"{mean[name]:.0f}", f"{mean[name] / baseline:.2f}", f"{trips:.2f}"))
    print(table(f"Gated page throughput ({args.workers} gunicorn workers x 4 threads, {args.threads} clients, "
                f"{args.rounds} x {args.seconds:.0f}s rounds each, https, loopback)", rows,
                ("server", "req/s", "ratio to bare", "Redis commands per view")))
    for name in list(urls)[:-1]:
        print(f"{name}: costs {(1 - mean[name] / baseline) * 100:.0f}% of bare throughput")
    print()


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
