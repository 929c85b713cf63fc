"""Dev mode's secret key: random per installation, kept in var/, never a guessable constant."""

from __future__ import annotations

import secrets
from pathlib import Path


def dev_secret_key(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dev-secret-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()
