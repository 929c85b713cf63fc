"""The change stamps of each appointee, kept per process and read again only once the database has been written.

A mark list's key holds the stamps of its user's components (``data.change_stamps``), which cost a statement
at every view. Where the database can say without a statement that nothing at all has been written since a
moment (a SQLite file's change counter, ``data.change_counter``), the stamps read at that moment still hold,
and a list seen again with nothing written anywhere costs no SQL. Any write, to anyone's data, moves the
counter, so every kept entry is read again at its next use: never stale, only sometimes read when it need
not have been.

Why that holds: an entry keeps the counter as it was read *inside* the stamps' own read, under its shared lock
(``QuickReads.rows_and``), so it is the committed counter of the very snapshot the stamps come from. A writer
puts a value into the file only as committed counter + 1, so a counter read later without a lock equals the
kept one only while nothing has been committed since: a write in flight, or one rolled back, shows a value
no entry keeps. Without a counter (PostgreSQL, where only a round trip can tell) every call reads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from portal_app.data.audit import Appointee
from portal_app.data.change_counter import ChangeCounter
from portal_app.data.change_stamps import stamps_and
from portal_app.data.quick_reads import QuickReads

MAX_ENTRIES = 10_000  # appointees per process; an entry (their ids, a few stamps) is about 1 KB: 10 MB at most

Stamps = tuple[tuple[int, int], ...]


class StampsMemo:
    """Per appointee: the stamps read last, and the database's change counter in the snapshot they came from."""

    def __init__(self, counter: ChangeCounter | None, max_entries: int = MAX_ENTRIES) -> None:
        self.counter = counter
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[bytes, Stamps]] = OrderedDict()
        self._lock = threading.Lock()

    def stamps_of(self, reader: QuickReads, appointee: Appointee) -> Stamps:
        """The appointee's stamps now: the kept ones while the file is unwritten since, else read (and kept)."""
        if self.counter is None:
            return stamps_and(reader, appointee, None)[0]
        who = (appointee.tid, appointee.oid)
        now = self.counter.read()
        if now is not None:
            with self._lock:
                kept = self._entries.get(who)
                if kept is not None and kept[0] == now:
                    self._entries.move_to_end(who)
                    return kept[1]
        stamps, counter = stamps_and(reader, appointee, self.counter.read)
        if counter is not None:
            with self._lock:
                self._entries[who] = (counter, stamps)
                self._entries.move_to_end(who)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return stamps

    def __len__(self) -> int:
        return len(self._entries)
