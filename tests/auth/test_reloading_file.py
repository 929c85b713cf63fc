"""ReloadingFile.versioned(): the number caches key on changes exactly when the value in force does."""

from __future__ import annotations

import os

import pytest

from auth.reloading_file import ReloadingFile


class Broken(Exception):
    pass


def parse(path) -> str:
    try:
        text = path.read_text()
    except OSError as exc:  # as the real loaders do: an unreadable file is a problem of the file
        raise Broken(str(exc)) from None
    if "broken" in text:
        raise Broken(text)
    return text


def write(path, text: str, bump: int) -> None:
    path.write_text(text)
    stat = path.stat()  # a new mtime even when the test runs within one clock tick
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "value.txt"
    write(path, "one", 0)
    return path, ReloadingFile(path, parse, what="a test value", kept="keeping it", errors=Broken, applies="now")


def test_the_version_changes_with_each_good_edit_and_not_otherwise(source):
    path, file = source
    assert file.versioned() == (1, "one")
    assert file.versioned() == (1, "one")  # unchanged file: same number
    write(path, "two", 1)
    assert file.versioned() == (2, "two")
    assert file.current() == "two"


def test_a_bad_edit_or_a_deleted_file_keeps_the_value_and_its_version(source):
    path, file = source
    write(path, "broken", 1)
    assert file.versioned() == (1, "one")
    path.unlink()
    assert file.versioned() == (1, "one")
    write(path, "three", 2)
    assert file.versioned() == (2, "three")
