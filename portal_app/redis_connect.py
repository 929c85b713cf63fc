"""Redis clients from a URL: a single server, Sentinel, or Cluster (issue 7: scale-out deployments).

- ``redis://HOST:6379/0``, ``rediss://`` (TLS), ``unix:///path.sock``: one server.
- ``redis+sentinel://[:PASSWORD@]HOST:26379[,HOST:26379...]/SERVICE[/DB]``: the master Sentinel names.
- ``redis+cluster://[:PASSWORD@]HOST:PORT[,HOST:PORT...]``: a Redis Cluster (db 0 only).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.sentinel import Sentinel

# Short timeouts: a page must fail fast with a 503, not hang a worker while Redis is away.
TIMEOUTS = {"socket_timeout": 2, "socket_connect_timeout": 2}


def redis_client(url: str):
    scheme = urlsplit(url).scheme
    if scheme == "redis+sentinel":
        return _sentinel_master(url)
    if scheme == "redis+cluster":
        return _cluster(url)
    return redis.Redis.from_url(url, health_check_interval=30, **TIMEOUTS)


def redis_url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a Redis URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix", "redis+sentinel", "redis+cluster"):
        return f"{parts.scheme!r} is not a Redis URL scheme"
    if parts.scheme.startswith("redis+"):
        try:
            _hosts(parts.netloc)
        except ValueError as exc:
            return str(exc)
        if parts.scheme == "redis+sentinel" and not parts.path.strip("/"):
            return "a Sentinel URL must name the service after the hosts"
    return None


def is_cluster(client) -> bool:
    return isinstance(client, RedisCluster)


def _hosts(netloc: str) -> tuple[str | None, list[tuple[str, int]]]:
    password = None
    if "@" in netloc:
        credentials, netloc = netloc.rsplit("@", 1)
        password = unquote(credentials.split(":", 1)[-1]) or None
    hosts = []
    for item in netloc.split(","):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{item!r} is not HOST:PORT")
        hosts.append((host.strip("[]"), int(port)))
    return password, hosts


def _sentinel_master(url: str) -> redis.Redis:
    parts = urlsplit(url)
    password, hosts = _hosts(parts.netloc)
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise ValueError("a Sentinel URL names the service: redis+sentinel://HOST:26379/SERVICE/DB")
    db = int(path[1]) if len(path) > 1 else 0
    sentinel = Sentinel(hosts, sentinel_kwargs={**TIMEOUTS, "password": password}, **TIMEOUTS)
    return sentinel.master_for(path[0], db=db, password=password)


def _cluster(url: str) -> RedisCluster:
    password, hosts = _hosts(urlsplit(url).netloc)
    return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in hosts], password=password, **TIMEOUTS)
