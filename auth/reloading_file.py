"""A value loaded from a config file and reloaded when the file changes, keeping the last good one.

Operations staff edit role rules and the services catalogue on a running portal. The first load must
succeed (problems stop start-up); after that an invalid edit is logged once and the last good value stays in
force: a typo must neither lock everyone out nor open anything up.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from threading import Lock
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class ReloadingFile(Generic[T]):
    """``current()`` costs one ``stat`` while the file is unchanged, and reloads it once after an edit.

    ``versioned()`` adds the number of the value in force (1 for the first, one more at each good reload) for
    caches of things derived from it: keyed on that number, an edit can never leave them stale.
    """

    def __init__(self, path: str | os.PathLike[str], load: Callable[[Path], T], *, what: str, kept: str,
                 errors: type[Exception], applies: str) -> None:
        self.path = Path(path)
        self._load = load
        self._what = what
        self._kept = kept
        self._errors = errors
        self._applies = applies
        self._lock = Lock()
        self._stamp = self._stat()
        # One attribute, replaced whole: a reader never sees a new value with an old number or the reverse.
        self._versioned: tuple[int, T] = (1, load(self.path))

    def current(self) -> T:
        return self.versioned()[1]

    def versioned(self) -> tuple[int, T]:
        """(version, value) in force now: the version changes exactly when the value does."""
        stamp = self._stat()
        if stamp == self._stamp:
            return self._versioned
        with self._lock:
            if stamp != self._stamp:
                self._reload(stamp)
            return self._versioned

    def _reload(self, stamp: tuple[int, int, int] | None) -> None:
        self._stamp = stamp  # also on failure, so a broken file is reported once, not at every request
        try:
            value = self._load(self.path)
        except self._errors as exc:
            problems = getattr(exc, "problems", [exc])
            log.error("%s in %s was edited but is invalid; %s until it is fixed:\n%s",
                      self._what, self.path, self._kept, "\n".join(f"  - {p}" for p in problems))
            return
        self._versioned = (self._versioned[0] + 1, value)
        log.info("%s reloaded from %s: %s", self._what, self.path, self._applies)

    def _stat(self) -> tuple[int, int, int] | None:
        """What identifies this version of the file: mtime, size and inode (editors often replace files)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)
