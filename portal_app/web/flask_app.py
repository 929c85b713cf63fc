"""The portal's Flask class: Flask, with "is this hook or view async?" answered once per function.

Flask asks ``ensure_sync`` for every before-request, after-request and teardown function and for the view, at
every request, and each answer inspects the function again (``inspect.iscoroutinefunction``, which unwraps
partials and decorators). The portal registers about a dozen hooks, so that was a dozen inspections per page
view for answers that never change. Flask documents ``ensure_sync`` as the method to override.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

MAX_REMEMBERED = 4096  # the app's hooks and views; a bound, in case an extension hands over new callables


class PortalFlask(Flask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synchronous: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._synchronous[func]
        except KeyError:
            pass
        except TypeError:  # unhashable: asked afresh each time, as Flask does
            return super().ensure_sync(func)
        made = super().ensure_sync(func)
        if len(self._synchronous) < MAX_REMEMBERED:
            self._synchronous[func] = made
        return made
