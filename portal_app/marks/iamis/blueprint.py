"""The IAMIS blueprint, apart from its pages so that each page module can add its routes to it."""

from __future__ import annotations

from flask import Blueprint

from portal_app.data.errors import DataError
from portal_app.marks.common import handle_data_error

bp = Blueprint("iamis", __name__, url_prefix="/iamis")
bp.register_error_handler(DataError, handle_data_error)
