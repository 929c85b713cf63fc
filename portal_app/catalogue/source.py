"""The catalogue in force: loaded at start-up, reloaded when config/services.toml changes.

The first load must succeed (problems stop start-up, listed all at once). After that an invalid edit is
logged and the last good catalogue stays in force, as ``auth.roles.RoleRulesSource`` does for roles.toml:
a typo must not empty everyone's menu, nor show a service to the wrong people.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection

from flask import Flask, current_app

from auth.reloading_file import ReloadingFile
from portal_app.catalogue.model import Catalogue, CatalogueError
from portal_app.settings import ConfigError

log = logging.getLogger(__name__)
EXTENSION = "portal.catalogue"


class CatalogueSource(ReloadingFile[Catalogue]):
    """The current catalogue from a file; ``current()`` costs one ``stat`` when the file has not changed."""

    def __init__(self, path: str | os.PathLike[str], endpoints: Callable[[], Collection[str]]) -> None:
        super().__init__(path, lambda file: Catalogue.load(file, endpoints()), what="the services catalogue",
                         kept="still showing the previous catalogue",
                         errors=CatalogueError, applies="menus show it from the next page load")


def load_catalogue(app: Flask) -> None:
    """Load the catalogue once every blueprint is registered; every problem stops start-up at once.

    Internal endpoints can only be checked when all pages exist: the catalogue is initialised last.
    """
    settings = app.extensions["portal.settings"]
    try:
        app.extensions[EXTENSION] = CatalogueSource(settings.services_file, lambda: set(app.view_functions))
    except CatalogueError as exc:
        raise ConfigError(exc.problems) from None


def current_catalogue() -> Catalogue:
    """The catalogue in force for this request."""
    return current_app.extensions[EXTENSION].current()


def versioned_catalogue() -> tuple[int, Catalogue]:
    """(version, catalogue) in force: the version changes at each good reload, for caches derived from it."""
    return current_app.extensions[EXTENSION].versioned()
