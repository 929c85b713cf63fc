"""The EMI blueprint, shared by the page modules of ``portal_app.marks.emi``; data errors become pages."""

from __future__ import annotations

from flask import Blueprint

from portal_app.data.errors import DataError
from portal_app.marks.common import handle_data_error

bp = Blueprint("emi", __name__, url_prefix="/emi")
bp.register_error_handler(DataError, handle_data_error)
