"""Per-component documents: EMI "VIEW CONFERENCE AGENDA", IAMIS "FORMULA PDF" and "FORMULA PDF (WELSH)".

A component names its files in the marks database (``agenda_document``, ``formula_pdf``,
``formula_pdf_welsh``); the files live in the folder set by ``documents.folder``. A file is served only to
appointees allocated to that component, only when the component names it, and only as a plain file directly
inside the folder: every traversal trick (``../``, encoded or not, absolute paths, backslashes) is refused.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, g, send_file, url_for
from sqlalchemy import select

from portal_app.data.access import id_or_none
from portal_app.data.models import Allocation, Component
from portal_app.database import db_session
from portal_app.signin.gate import login_required

log = logging.getLogger(__name__)
bp = Blueprint("documents", __name__, url_prefix="/documents")

# A plain file name: no separators, no leading dot, nothing a browser or filesystem could reinterpret.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.pdf$")
# (label on the page, column of Component), in the order the pages list them.
DOCUMENT_KINDS = (
    ("VIEW CONFERENCE AGENDA", "agenda_document"),
    ("FORMULA PDF", "formula_pdf"),
    ("FORMULA PDF (WELSH)", "formula_pdf_welsh"),
)


@dataclass(frozen=True)
class DocumentLink:
    """A document of a component as a page shows it."""

    label: str
    filename: str
    url: str


def documents_for(component: Component, kinds: tuple[str, ...] | None = None) -> list[DocumentLink]:
    """Links to the component's documents (all kinds, or the named columns), for the EMI and IAMIS pages.

    The caller must already know the user is allocated to ``component``; the download checks it again.
    """
    links = []
    for label, column in DOCUMENT_KINDS:
        filename = getattr(component, column)
        if filename and (kinds is None or column in kinds):
            url = url_for("documents.download", component_id=component.id, filename=filename)
            links.append(DocumentLink(label, filename, url))
    return links


def _is_allocated(component_id: int) -> Component | None:
    """The component when the signed-in appointee holds an allocation on it (any role), else None."""
    user = g.user
    query = (select(Component).join(Allocation, Allocation.component_id == Component.id)
             .where(Component.id == component_id, Allocation.tenant_id == user["tid"],
                    Allocation.object_id == user["oid"]).limit(1))
    return db_session().scalars(query).first()


def resolve_document(folder: Path, filename: str) -> Path | None:
    """The file inside ``folder`` called ``filename``, or None when the name is unsafe or the file is missing."""
    if not SAFE_NAME.match(filename) or ".." in filename:
        return None
    root = folder.resolve()
    path = (root / filename).resolve()
    # Belt and braces: even a symlink planted in the folder must not lead outside it.
    if path.parent != root or not path.is_file():
        return None
    return path


@bp.get("/<component_id>/<path:filename>")
@login_required
def download(component_id: str, filename: str):
    """The PDF, as an attachment; 404 alike for unknown, not-allocated and unsafe requests (no probing)."""
    wanted = id_or_none(component_id)
    component = _is_allocated(wanted) if wanted is not None else None
    named = {getattr(component, column) for _, column in DOCUMENT_KINDS} if component else set()
    path = resolve_document(current_app.extensions["portal.settings"].documents_folder, filename) \
        if filename in named else None
    if path is None:
        log.warning("document refused", extra={"event": "document_refused", "component": component_id[:20],
                                               "document": filename[:80], "oid": g.user["oid"]})
        abort(404)
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=path.name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
