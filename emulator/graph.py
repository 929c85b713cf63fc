"""A minimal Microsoft Graph: /v1.0/me, transitiveMemberOf, getMemberObjects and OIDC userinfo."""

from __future__ import annotations

import jwt
from flask import Blueprint, jsonify, request

from .directory import User
from .state import emulator
from .tokens import GRAPH_APP_ID, pairwise_sub

bp = Blueprint("graph", __name__)
PAGE_SIZE = 100


class GraphAuthError(Exception):
    """The bearer token is missing or not a valid Graph access token from this emulator."""


def _graph_error(code: str, message: str, status: int):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def _caller() -> User:
    """The user whose Graph access token authorises this request."""
    state = emulator()
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        raise GraphAuthError("Access token is empty.")
    try:
        claims = state.keys.verify(header[7:].strip(), audience=GRAPH_APP_ID, now=state.clock.now())
    except jwt.InvalidTokenError as exc:
        raise GraphAuthError(f"Access token validation failure: {exc}.") from exc
    user = state.directory.user_by_oid(claims.get("oid", ""))
    if user is None or user.tenant_id != claims.get("tid"):
        raise GraphAuthError("The token's user does not exist in the directory.")
    return user


@bp.errorhandler(GraphAuthError)
def _unauthorised(exc: GraphAuthError):
    return _graph_error("InvalidAuthenticationToken", str(exc), 401)


@bp.get("/v1.0/me")
def me():
    """The signed-in user's profile."""
    user = _caller()
    return jsonify({"@odata.context": f"{emulator().base_url}/v1.0/$metadata#users/$entity", "id": user.oid,
                    "displayName": user.name, "userPrincipalName": user.email, "mail": user.email})


@bp.get("/v1.0/me/transitiveMemberOf")
@bp.get("/v1.0/me/memberOf")
def transitive_member_of():
    """The user's groups, 100 a page, with @odata.nextLink like Graph."""
    user = _caller()
    try:
        start = int(request.args.get("$skiptoken", "0"))
        top = min(int(request.args.get("$top", PAGE_SIZE)), 999)
    except ValueError:
        return _graph_error("BadRequest", "Invalid $skiptoken or $top.", 400)
    if start < 0 or top < 1:
        return _graph_error("BadRequest", "Invalid $skiptoken or $top.", 400)
    page = user.groups[start:start + top]
    body = {"@odata.context": f"{emulator().base_url}/v1.0/$metadata#directoryObjects",
            "value": [{"@odata.type": "#microsoft.graph.group", "id": group} for group in page]}
    if start + top < len(user.groups):
        body["@odata.nextLink"] = (f"{emulator().base_url}{request.path}?$top={top}"
                                   f"&$skiptoken={start + top}")
    return jsonify(body)


@bp.post("/v1.0/me/getMemberObjects")
def get_member_objects():
    """All the user's group ids in one response (Graph returns up to 11,000 this way)."""
    user = _caller()
    return jsonify({"@odata.context": f"{emulator().base_url}/v1.0/$metadata#Collection(Edm.String)",
                    "value": list(user.groups)})


@bp.route("/oidc/userinfo", methods=["GET", "POST"])
def userinfo():
    """OIDC userinfo, as Graph serves it for Entra."""
    user = _caller()
    return jsonify({"sub": pairwise_sub(GRAPH_APP_ID, user), "name": user.name, "email": user.email})
