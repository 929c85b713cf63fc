"""The portal with one extra gated route that renders nothing: its layer without any page's content.

Same app factory, session store, guards, refresh check, security headers, logs and metrics as production;
the route returns the user's name like the bare baseline does. ``gunicorn bench.portal_probe:app``.
"""

from __future__ import annotations

from flask import g
from markupsafe import escape

from portal_app import create_app
from portal_app.signin.gate import login_required

app = create_app()


@login_required
def gated_probe():
    return f"<p>Signed in as {escape(g.user.get('name', '?'))}</p>"


app.add_url_rule("/bench/gated", "bench_gated_probe", gated_probe)
