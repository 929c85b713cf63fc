"""An adjustable clock, so tests move time instead of sleeping."""

from __future__ import annotations

import threading
import time


class Clock:
    """Wall-clock time plus an offset that test mode can set."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Current emulator time, seconds since the epoch."""
        with self._lock:
            return time.time() + self._offset

    def set_offset(self, seconds: float) -> None:
        """Run ``seconds`` ahead of (or behind) real time."""
        with self._lock:
            self._offset = float(seconds)

    def set_now(self, epoch: float) -> None:
        """Pretend the current time is ``epoch``."""
        with self._lock:
            self._offset = float(epoch) - time.time()
