"""Request ids (portal_app/web/logs.py): every response names its request with an id of its own, unique across the
forked workers too; a well-formed id the caller sends is kept, anything else replaced."""

from __future__ import annotations

import os
import re

import pytest

from portal_app.web.logs import _new_request_id

ID = re.compile(r"[0-9a-f]{32}")


def test_each_response_names_a_request_id_of_its_own(client):
    seen = [client.get("/").headers["X-Request-Id"] for _ in range(50)]
    assert all(ID.fullmatch(found) for found in seen)
    assert len(set(seen)) == len(seen)


def test_a_well_formed_id_from_the_caller_is_kept(client):
    assert client.get("/", headers={"X-Request-Id": "proxy-7f3a.91"}).headers["X-Request-Id"] == "proxy-7f3a.91"


@pytest.mark.parametrize("sent", ["short", "x" * 65, "has space in it", "<script>1</script>"])
def test_an_ill_formed_id_from_the_caller_is_replaced(client, sent):
    assert ID.fullmatch(client.get("/", headers={"X-Request-Id": sent}).headers["X-Request-Id"])


def test_a_forked_worker_makes_ids_of_its_own():
    """gunicorn forks its workers from one process: each must not repeat the ids of another."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: its next ids, then gone at once (no pytest teardown in the child)
        os.write(write, "".join(_new_request_id() for _ in range(4)).encode())
        os._exit(0)
    os.close(write)
    mine = "".join(_new_request_id() for _ in range(4))
    os.waitpid(child, 0)
    theirs = os.read(read, 256).decode()
    os.close(read)
    assert len(theirs) == len(mine) == 128 and theirs != mine
