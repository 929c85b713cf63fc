"""The catalogue in force: loaded at start-up, reloaded when config/services.toml changes.

The first load must succeed (problems stop start-up, listed all at once). After that an invalid edit is
logged and the last good catalogue stays in force, as ``auth.roles.RoleRulesSource`` does for roles.toml:
a typo must not empty everyone's menu, nor show a service to the wrong people.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection
from pathlib import Path
from threading import Lock

from flask import Flask, current_app

from portal_app.catalogue import Catalogue, CatalogueError

log = logging.getLogger(__name__)
EXTENSION = "portal.catalogue"


class CatalogueSource:
    """The current catalogue from a file; ``current()`` costs one ``stat`` when the file has not changed."""

    def __init__(self, path: str | os.PathLike[str], endpoints: Callable[[], Collection[str]]) -> None:
        self.path = Path(path)
        self._endpoints = endpoints
        self._lock = Lock()
        self._stamp = self._stat()
        self._catalogue = Catalogue.load(self.path, endpoints())

    def current(self) -> Catalogue:
        """The catalogue to use now, reloaded first if the file was edited."""
        stamp = self._stat()
        if stamp == self._stamp:
            return self._catalogue
        with self._lock:
            if stamp != self._stamp:
                self._reload(stamp)
            return self._catalogue

    def _reload(self, stamp: tuple[int, int, int] | None) -> None:
        """Load the changed file; on failure log every problem and keep the previous catalogue."""
        self._stamp = stamp  # also on failure, so a broken file is reported once, not at every page
        try:
            self._catalogue = Catalogue.load(self.path, self._endpoints())
        except CatalogueError as exc:
            log.error("the services catalogue %s was edited but is invalid; still showing the previous "
                      "catalogue until it is fixed:\n%s", self.path, "\n".join(f"  - {p}" for p in exc.problems))
            return
        log.info("services catalogue reloaded from %s: menus show it from the next page load", self.path)

    def _stat(self) -> tuple[int, int, int] | None:
        """What identifies this version of the file: mtime, size and inode (editors often replace files)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)


def check_catalogue_endpoints(app: Flask) -> None:
    """Load the catalogue once every blueprint is registered; every problem stops start-up at once.

    Called at the end of ``create_app``: internal endpoints can only be checked when all pages exist.
    """
    from portal_app.settings import ConfigError

    settings = app.extensions["portal.settings"]
    try:
        app.extensions[EXTENSION] = CatalogueSource(settings.services_file, lambda: set(app.view_functions))
    except CatalogueError as exc:
        raise ConfigError(exc.problems) from None


def current_catalogue() -> Catalogue:
    """The catalogue in force for this request."""
    return current_app.extensions[EXTENSION].current()
