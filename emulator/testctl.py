"""Test controls under /_test/ (registered only in test mode): keys, sessions, clock, MFA codes."""

from __future__ import annotations

import dataclasses

import pyotp
from flask import Blueprint, abort, jsonify, request

from .assertions import RegisteredCertificate
from .signin import sms_code_for
from .state import emulator

bp = Blueprint("testctl", __name__, url_prefix="/_test")


def current_totp(email: str) -> str | None:
    """The authenticator code ``email``'s app would show now (emulator clock), or None."""
    state = emulator()
    user = state.directory.user(email)
    if user is None or user.mfa != "totp":
        return None
    return pyotp.TOTP(user.totp_secret).at(state.clock.now())


@bp.post("/rotate-keys")
def rotate_keys():
    """Sign with a new key from now on; the old kid stays in the JWKS."""
    state = emulator()
    fresh = state.keys.rotate()
    return jsonify({"kid": fresh.kid, "published": [k["kid"] for k in state.keys.jwks("")["keys"]]})


@bp.get("/sessions")
def list_sessions():
    state = emulator()
    with state.store.lock:
        return jsonify({"sessions": [s.as_dict() for s in state.store.sessions.values() if not s.ended]})


@bp.post("/sessions/<sid>/end")
def end_session(sid: str):
    if emulator().store.end_session(sid) is None:
        abort(404)
    return jsonify({"ended": sid})


@bp.delete("/sessions")
def end_all_sessions():
    store = emulator().store
    with store.lock:
        sids = [s.sid for s in store.sessions.values() if not s.ended]
    for sid in sids:
        store.end_session(sid)
    return jsonify({"ended": sids})


@bp.post("/clock")
def set_clock():
    """Move the emulator's clock: {"offset_seconds": N} or {"now": epoch}."""
    body = request.get_json(silent=True) or {}
    clock = emulator().clock
    try:
        if "now" in body:
            clock.set_now(float(body["now"]))
        else:
            clock.set_offset(float(body.get("offset_seconds", 0)))
    except (TypeError, ValueError):
        return jsonify({"error": "offset_seconds and now must be numbers"}), 400
    return jsonify({"now": clock.now()})


@bp.get("/sms/<email>")
def last_sms(email: str):
    code = sms_code_for(email)
    return (jsonify({"email": email, "code": code}) if code else
            (jsonify({"error": f"no SMS has been sent to {email}"}), 404))


@bp.get("/totp/<email>")
def totp(email: str):
    code = current_totp(email)
    return (jsonify({"email": email, "code": code}) if code else
            (jsonify({"error": f"{email} has no authenticator app"}), 404))


@bp.post("/apps/<client_id>/certificates")
def upload_certificate(client_id: str):
    """Upload a certificate (PEM body, public part only) to an app registration, as under "Certificates & secrets"."""
    directory = emulator().directory
    app = directory.app(client_id)
    if app is None:
        abort(404)
    pem = request.get_data(as_text=True)
    try:
        uploaded = RegisteredCertificate.from_pem(pem)
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    directory.apps[client_id] = dataclasses.replace(app, certificates=app.certificates + (pem,))
    return jsonify({"client_id": client_id, "thumbprint": uploaded.sha1_thumbprint,
                    "thumbprint_sha256": uploaded.sha256_thumbprint}), 201


@bp.delete("/apps/<client_id>/certificates")
def remove_certificates(client_id: str):
    """Remove every uploaded certificate of an app registration."""
    directory = emulator().directory
    app = directory.app(client_id)
    if app is None:
        abort(404)
    directory.apps[client_id] = dataclasses.replace(app, certificates=())
    return jsonify({"client_id": client_id, "certificates": 0})
