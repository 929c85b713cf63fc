"""`flask --app wsgi portal doctor`: check a deployment from the inside, each result with its fix.

Run it on an app server with the servers' own environment (deploy/README.md): it reads the same configuration
and uses the same HTTP session, session store and database engine as gunicorn does. Exit code 0 only when every
check holds (a warning holds, with advice), so it can gate a deployment or run from a monitoring timer.
"""

from __future__ import annotations

import click
from flask import current_app

from portal_app.doctor.checks import CHECKS, FAIL, OK, WARN, Finding, Probe

_LABELS = {OK: "ok  ", WARN: "warn", FAIL: "FAIL"}


def run_checks() -> list[Finding]:
    """Every check in order; the network ones share what they learnt (metadata, the authority's clock)."""
    app, probe = current_app._get_current_object(), Probe()  # type: ignore[attr-defined]
    return [check(app, probe) for check in CHECKS]


@click.command("doctor")
def doctor_command() -> None:
    """Check this deployment from the inside: authority, keys, token endpoint, clock, redirect URI, credential,
    Redis and the database. Exit code 0 only when all hold."""
    settings = current_app.extensions["portal.settings"]
    click.echo(f"Appointee Portal doctor: {settings.external_url}, authority {settings.authority}\n")
    findings = run_checks()
    width = max(len(finding.name) for finding in findings)
    for finding in findings:
        click.echo(f"  {_LABELS[finding.status]}  {finding.name.ljust(width)}  {finding.detail}")
        if finding.fix and finding.status != OK:
            click.echo(f"        {' ' * width}  fix: {finding.fix}")
    failed = [finding for finding in findings if finding.status == FAIL]
    warned = sum(finding.status == WARN for finding in findings)
    click.echo(f"\n{len(findings)} checks: {len(findings) - len(failed) - warned} passed, {warned} with advice, "
               f"{len(failed)} failed.")
    if failed:
        raise SystemExit(1)
