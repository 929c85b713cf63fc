"""Whether a SQLite database file has been written since a moment, told without a query: its change counter.

SQLite's file header keeps a *file change counter* (bytes 24-27, big-endian) that every transaction which
writes the file moves on before it commits, whichever connection or process writes: a page of another worker,
``portal import``, a fix typed into the sqlite3 shell (https://www.sqlite.org/fileformat2.html#file_change_counter).
SQLite itself reads it to decide whether its page cache is still good; here it does the same for the mark
lists' change stamps (``data.stamps_memo``). Reading it is one ``pread`` of the header on a descriptor kept
open: no lock, no statement, no pool checkout.

It vouches only where SQLite promises that it moves: in the rollback-journal modes (SQLite's default, and the
portal's). In WAL mode "the change counter might not be incremented on each transaction" (the same page), so
a file in WAL mode (header bytes 18 and 19 are 2) gives None, as does a file that is missing, not yet written
or not a SQLite database: the caller then reads the database as before.

The descriptor stays on the file it first opened, as a pooled SQLite connection does; replacing the file of a
running portal (SQLite's "How to corrupt" page warns against it for the connections too) needs a restart.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import make_url

_MAGIC = b"SQLite format 3\x00"
_HEADER = 100  # bytes of the database header
_WAL = 2  # the file format version numbers (bytes 18, 19) of a database in WAL mode


class ChangeCounter:
    """The change counter of one SQLite database file, read afresh at every call."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._lock = threading.Lock()  # one open per process, however many threads ask first

    def read(self) -> bytes | None:
        """The counter's four bytes now; None when the file cannot vouch (see the module docstring)."""
        fd = self._fd if self._fd is not None else self._open()
        if fd is None:
            return None
        try:
            header = os.pread(fd, _HEADER, 0)
        except OSError:
            return None
        if len(header) < _HEADER or not header.startswith(_MAGIC) or _WAL in (header[18], header[19]):
            return None
        return header[24:28]

    def _open(self) -> int | None:
        with self._lock:
            if self._fd is None:
                try:
                    self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
                except OSError:
                    return None  # not created yet (the dev database migrates at first use): tried again next call
            return self._fd

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def for_url(url: str) -> ChangeCounter | None:
    """The counter of the SQLite file ``url`` names; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") or parsed.database.startswith("file:"):
        return None  # a URI filename may name a shared in-memory database, or options the file path hides
    return ChangeCounter(parsed.database)
