"""The app's wall clock, replaceable in tests so session lifetimes are tested without sleeping."""

from __future__ import annotations

import time

from flask import Flask, current_app


def now() -> float:
    return now_in(current_app)


def now_in(app: Flask) -> float:
    """``now()`` for a caller that holds the app already (one lookup of ``current_app`` fewer)."""
    return app.extensions["portal.clock"]()


def init_app(app: Flask) -> None:
    app.extensions["portal.clock"] = time.time
