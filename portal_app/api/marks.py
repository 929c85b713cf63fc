"""``GET /api/v1/marks``: submitted marks for the board's results system, as JSON, page by page.

Query parameters (all optional): ``series``, ``component``, ``since`` (ISO 8601 with a zone: only marks of
centres submitted after it), ``page_size`` (1 to ``api.marks_page_size``) and ``page`` (the opaque cursor of
the previous page's ``next``). Pages follow submission time, so a caller that keeps the last ``submitted_at``
it saw and asks with ``since`` gets what was submitted (or resubmitted after a correction) since.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, request, url_for

from auth.errors import AuthError
from portal_app.api.bearer import authenticated_caller, refusal
from portal_app.data.export import MarkOut, known_scope, marks_page
from portal_app.database import db_session

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.register_error_handler(AuthError, refusal)
PARAMETERS = ("series", "component", "since", "page_size", "page")


class BadRequest(Exception):
    """A query parameter the API cannot use; the message says which and why."""


def _problem(status: int, error: str, description: str):
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/marks")
def marks():
    caller = authenticated_caller()
    try:
        query = _query()
    except BadRequest as exc:
        return _problem(400, "invalid_request", str(exc))
    session = db_session()
    if not known_scope(session, query["series"], query["component"]):
        return _problem(404, "not_found", "No such series or component.")
    rows = marks_page(session, series_code=query["series"], component_code=query["component"],
                      since=query["since"], after=query["after"], limit=query["page_size"] + 1)
    page, more = rows[:query["page_size"]], len(rows) > query["page_size"]
    log.info("marks API served", extra={"event": "api_marks", "azp": caller.client_id, "tid": caller.tenant_id,
                                        "oid": caller.object_id, "marks": len(page), "series": query["series"],
                                        "component": query["component"]})
    next_page = None
    if more:
        args = {k: v for k, v in request.args.items() if k != "page"}
        next_page = url_for("api.marks", **args, page=_cursor(page[-1]))
    response = jsonify({"marks": [_json(mark) for mark in page], "next": next_page})
    response.headers["Cache-Control"] = "no-store"
    return response


def _query() -> dict:
    unknown = sorted(set(request.args) - set(PARAMETERS))
    if unknown:
        raise BadRequest(f"unknown parameter(s) {', '.join(unknown)[:80]}; use {', '.join(PARAMETERS)}")
    largest = current_app.extensions["portal.settings"].marks_page_size
    size_text = request.args.get("page_size", str(largest))
    if not (size_text.isascii() and size_text.isdigit() and 1 <= int(size_text) <= largest):
        raise BadRequest(f"page_size must be a whole number from 1 to {largest}")
    return {"series": _code("series"), "component": _code("component"), "since": _since(),
            "after": _after(request.args.get("page")), "page_size": int(size_text)}


def _code(name: str) -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    if not (1 <= len(value) <= 32 and value.isascii() and value.replace("/", "").replace("_", "").replace(
            "-", "").isalnum()):
        raise BadRequest(f"{name} is not a code such as JAN17 or 9521/01")
    return value


def _since() -> datetime | None:
    text = request.args.get("since")
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest("since is not an ISO 8601 time such as 2017-02-10T17:00:00Z") from None
    if moment.tzinfo is None:
        raise BadRequest("since needs a zone, e.g. 2017-02-10T17:00:00Z")
    return moment.astimezone(UTC)


def _cursor(mark: MarkOut) -> str:
    raw = json.dumps([mark.submitted_at.isoformat(), mark.entry_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    try:
        at, entry_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(at)
        if not isinstance(entry_id, int) or moment.tzinfo is None:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("page is not a cursor this API gave out; start again without it") from None
    return moment, entry_id


def _json(mark: MarkOut) -> dict:
    return {
        "series_code": mark.series_code,
        "component_code": mark.component_code,
        "centre_number": mark.centre_number,
        "candidate_number": mark.candidate_number,
        "mark": mark.mark,
        "status_code": mark.code,
        "examiner": {"tenant_id": mark.examiner_tenant_id, "object_id": mark.examiner_object_id},
        "submitted_at": mark.submitted_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "export_batch_id": mark.batch_id,
    }
