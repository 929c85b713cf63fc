"""The WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``."""

import sys

from portal_app import create_app
from portal_app.settings import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # Operations read this in the service log: every problem at once, with file, key and fix.
    print(exc, file=sys.stderr)
    raise SystemExit(1) from None
