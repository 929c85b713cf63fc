"""The locked requirements: every package pinned with hashes, and the locks in step with the .in files.

A dependency added as a plain pinned line (to a .txt without hashes, or to a .in without re-locking) fails here
with the command that mends it, before `pip install --require-hashes` fails on someone's fresh machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RELOCK = "run scripts/lock (README.md, Dependencies) and commit the .in and .txt files together"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def normalized(name: str) -> str:
    """PEP 503: names compare case-insensitively, with runs of -, _ and . alike."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_blocks(path: Path) -> list[str]:
    """Each requirement of a pip requirements file with its continuation lines joined, comments dropped."""
    blocks, current = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split(" #", 1)[0].rstrip() if not line.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        current += " " + line.strip().removesuffix("\\").strip()
        if not line.endswith("\\"):
            blocks.append(current.strip())
            current = ""
    return blocks + ([current.strip()] if current.strip() else [])


def pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line (options such as -r and -c are skipped)."""
    found = {}
    for block in requirement_blocks(path):
        match = _PIN.match(block)
        if match:
            found[normalized(match.group(1))] = match.group(2)
    return found


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_requirement_is_pinned_with_a_hash(lock):
    unhashed = [block.split()[0] for block in requirement_blocks(ROOT / lock)
                if not block.startswith("-") and "--hash=sha256:" not in block]
    unpinned = [block.split()[0] for block in requirement_blocks(ROOT / lock)
                if not block.startswith("-") and not _PIN.match(block)]

    assert not unhashed, f"{lock}: {unhashed} have no hashes (pip --require-hashes refuses them): {RELOCK}"
    assert not unpinned, f"{lock}: {unpinned} are not pinned with ==: {RELOCK}"


@pytest.mark.parametrize("source, lock", [("requirements.in", "requirements.txt"),
                                          ("requirements-dev.in", "requirements-dev.txt")])
def test_each_lock_holds_exactly_the_versions_its_in_file_pins(source, lock):
    wanted, locked = pins(ROOT / source), pins(ROOT / lock)

    stale = {name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version}

    assert not stale, f"{lock} is stale, (wanted, locked): {stale}: {RELOCK}"


def test_development_lock_installs_the_same_run_time_versions():
    runtime, development = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")

    differing = {name: (version, development.get(name)) for name, version in runtime.items()
                 if development.get(name) != version}

    assert not differing, f"requirements-dev.txt differs from requirements.txt on {differing}: {RELOCK}"


def test_locks_name_no_package_index():
    for lock in ("requirements.txt", "requirements-dev.txt"):
        options = [line for line in (ROOT / lock).read_text().splitlines()
                   if line.startswith(("--index-url", "--extra-index-url", "--find-links", "--trusted-host"))]
        assert not options, f"{lock} names an index ({options}): the lock is for packages and hashes only"
