"""The state one emulator instance shares with its blueprints, and the accessor they read it through."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from .clock import Clock
from .directory import Directory
from .keys import KeyRing
from .store import Store
from .tokens import TokenIssuer


@dataclass
class Emulator:
    """Everything one emulator instance knows; stored in ``app.extensions["emulator"]``."""

    directory: Directory
    store: Store
    clock: Clock
    keys: KeyRing
    tokens: TokenIssuer
    base_url: str
    ca_path: Path
    test_mode: bool


def emulator() -> Emulator:
    """The emulator instance serving the current request."""
    return current_app.extensions["emulator"]
