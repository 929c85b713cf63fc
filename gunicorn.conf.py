"""gunicorn settings for the portal: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden by an environment variable (shown beside it) or on the command line.
Workers are processes (sessions live in Redis, so any worker serves any user); threads let one worker
overlap the slow part of a sign-in (the token call to Microsoft) with other requests.
"""

import os
import shutil
from pathlib import Path

# Where to listen. Behind a reverse proxy keep it on loopback and set portal.trusted_proxy_hops.
bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
# Processes: about 2 per core is a good start for an I/O-bound app (GUNICORN_WORKERS; gunicorn's own
# WEB_CONCURRENCY also works).
workers = int(os.environ.get("GUNICORN_WORKERS", os.environ.get("WEB_CONCURRENCY", "2")))
# Threads per worker (gthread worker class).
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# A request may take at most this long before gunicorn restarts its worker. The portal's own bound on any
# call to the authority is auth.http_timeout_seconds (at most 15), so a sign-in never comes near this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# GUNICORN_PRELOAD=true builds the app once in the master and forks the workers from it: a worker recycled by
# max_requests then starts in milliseconds instead of importing and building the portal again (about 1.5 s
# of CPU each time, which the requests pay for; bench/pages_bench.py --preload measures it). Off by default
# because a preloaded master keeps its code: `systemctl reload` (HUP, deploy/systemd) would fork the old
# release and the old portal.toml; with it on, deploy by restart. The app opens no connection while built.
preload_app = os.environ.get("GUNICORN_PRELOAD", "false").lower() in ("1", "true", "yes", "on")
# Recycle workers now and then so a slow leak can never grow without bound (jitter avoids all at once). A
# worker's start costs about 1.1 s of CPU (imports and the app), as much as a thousand page views, which the
# pages being served wait behind: every 5000 requests made that a fifth of a busy worker's time, every 50000
# about 2%. Measured with no recycling: a worker's RSS stayed at 106 MiB over 43,000 views of the three pages
# opened most (All Services, EMI's and IAMIS's lists).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "5000"))
# Bounded request lines and headers: a fuzzed or hostile request stops at gunicorn.
limit_request_line = 8190
limit_request_fields = 100
# Logs: the app writes structured JSON to stderr; gunicorn's access log stays off (the app logs requests
# with their request id), its error log goes to stderr too.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new connections over them.
# On one shared socket the worker that wakes first accepts every connection of a burst: measured with wrk
# opening 4 or 16 keep-alive connections at once (as nginx's upstream keepalive pool does), all of them went
# to one of the two workers in about half the runs, whose four threads then took turns on one GIL while the
# other worker idled; throughput fell by 2.5 times, for the bare Flask app as much as for the portal.
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "true").lower() in ("1", "true", "yes", "on")
# Only trust X-Forwarded-* in the app through ProxyFix (portal.trusted_proxy_hops), not in gunicorn.
forwarded_allow_ips = ""
# No control socket: its default path is shared by every gunicorn of the user, and we do not use it.
control_socket_disable = True
proxy_allow_ips = ""


def on_starting(server):
    """Start Prometheus' multiprocess folder empty: files of a previous run would be counted again."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    """Tell prometheus-client a worker is gone, so its live gauges stop being reported."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
