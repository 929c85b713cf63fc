"""User-facing text without Flask: strings are marked for translation here and translated where they are shown.

``auth/`` and ``portal_app/data/`` have no request and no language; they mark what a user may read with ``N_``
(the gettext convention: "extract this, translate it later"), and the web layer's error handlers pass the
English text through ``gettext`` when they render it. Logs keep the English.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark for translation, translate later"
    """Mark ``message`` for extraction (``pybabel extract -k N_``); the web layer translates it when shown."""
    return message
