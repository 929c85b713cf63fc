"""`flask --app wsgi portal ...`: commands for operations staff."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal_app.settings import ConfigError, load_settings, masked_settings

portal_cli = AppGroup("portal", help="Appointee Portal operations commands.")


@portal_cli.command("check-config")
def check_config() -> None:
    """Print the effective configuration (secrets masked) and every problem in it."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    width = max(len(key) for key, _, _ in masked_settings(settings))
    for key, value, source in masked_settings(settings):
        click.echo(f"{key.ljust(width)}  {value}    [{source}]")
    click.echo("\nConfiguration OK.")


def init_app(app: Flask) -> None:
    app.cli.add_command(portal_cli)
