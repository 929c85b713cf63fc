"""`flask --app wsgi portal ...`: commands for operations staff."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal_app.settings import ConfigError, load_settings
from portal_app.settings.display import masked_settings

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


@portal_cli.command("explain")
@click.option("--claims", "claims_file", type=click.Path(exists=True, dir_okay=False),
              help="A JSON file of ID token claims.")
@click.option("--user", "email", help="A user of the emulator's directory (config/dev-directory.toml).")
@click.option("--directory", default="config/dev-directory.toml", show_default=True,
              help="The emulator directory to read --user from.")
def explain_command(claims_file: str | None, email: str | None, directory: str) -> None:
    """Print the roles and permissions that a set of claims earns, and the rule that granted each."""
    from auth.explain import explain
    from auth.roles import RoleConfigError, RoleRules

    if bool(claims_file) == bool(email):
        raise click.UsageError("give exactly one of --claims FILE or --user EMAIL")
    settings = load_settings()
    try:
        rules = RoleRules.load(settings.roles_file)
    except RoleConfigError as exc:
        raise click.ClickException("\n".join(str(p) for p in exc.problems)) from None
    try:
        if claims_file:
            claims, group_ids = _claims_from_file(claims_file), None
        elif settings.dev_mode:
            claims, group_ids = _emulator_user_claims(directory, email, settings.client_id)
        else:
            claims, group_ids = _signed_in_user_claims(email)
    except (ValueError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(explain(claims, rules, settings.allowed_tenants, group_ids=group_ids), nl=False)


def _claims_from_file(claims_file: str) -> dict:
    """The claims object in a JSON file."""
    import json

    with open(claims_file, encoding="utf-8") as file:
        claims = json.load(file)
    if not isinstance(claims, dict):
        raise click.ClickException(f"{claims_file} must hold a JSON object of claims")
    return claims


def _emulator_user_claims(directory: str, email: str, client_id: str) -> tuple[dict, list[str] | None]:
    """The claims the emulator would issue to ``email``, and past the group overage what its Graph returns."""
    # Dev only: the emulator is not part of a production install, so import it only here.
    from auth.role_conditions import needs_group_overage
    from emulator.claims import claims_for_directory_user, directory_user_group_ids

    claims = claims_for_directory_user(directory, email, client_id)
    group_ids = directory_user_group_ids(directory, email) if needs_group_overage(claims) else None
    return claims, group_ids


def _signed_in_user_claims(email: str) -> tuple[dict, list[str] | None]:
    """What a production portal knows of ``email``'s sign-in: not available yet."""
    raise click.ClickException("--user reads the emulator's directory, which only dev mode has; use --claims FILE")
