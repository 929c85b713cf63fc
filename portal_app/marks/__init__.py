"""Mark input: EMI (examiners' mark sheets), IAMIS (moderation), the per-component documents, and what they
share (common, marks kept across sign-in in stash)."""

from __future__ import annotations

from flask import Flask

from portal_app.marks import documents, emi, iamis, stash


def init_app(app: Flask) -> None:
    for module in (emi, iamis, documents):
        app.register_blueprint(module.bp)
    stash.init_app(app)
