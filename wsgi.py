"""The WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``."""

import os
import sys

from portal_app import create_app
from portal_app.cli import unconfigured_cli_app
from portal_app.settings import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # Operations read this in the service log: every problem at once, with file, key and fix.
    print(exc, file=sys.stderr)
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        raise SystemExit(1) from None  # a server never starts on a broken configuration
    # The flask CLI (which sets FLASK_RUN_FROM_CLI): `portal --help` and `portal check-config` help mend it.
    app = unconfigured_cli_app(exc)
