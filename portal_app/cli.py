"""`flask --app wsgi portal ...`: commands for operations staff.

The group works even while the configuration has problems (``--help``, ``check-config``), so operators can
see what to mend; every other command then stops with the list of problems instead of a traceback.
"""

from __future__ import annotations

import json

import click
from flask import Flask, abort, current_app
from flask.cli import AppGroup, with_appcontext

from auth import user_session
from auth.explain import explain, explain_stored
from auth.permissions import RoleDecision
from auth.role_conditions import needs_group_overage
from auth.roles import RoleConfigError, RoleRules
from portal_app.data.moderation_rules import ModerationRules, ModerationRulesError
from portal_app.database import COMMANDS as DATABASE_COMMANDS
from portal_app.doctor import doctor_command
from portal_app.examining_cli import COMMANDS as EXAMINING_COMMANDS
from portal_app.marks.iamis.export import export_moderation_command
from portal_app.settings import ConfigError, PortalSettings, load_settings
from portal_app.settings.display import masked_settings

CONFIG_ERROR = "portal.config_error"
# Commands that help mend a broken configuration, so they run without one.
_WITHOUT_CONFIGURATION = {"check-config"}


@click.group("portal", cls=AppGroup, help="Appointee Portal operations commands.")
@click.pass_context
@with_appcontext
def portal_cli(context: click.Context) -> None:
    error = current_app.extensions.get(CONFIG_ERROR)
    if error is not None and context.invoked_subcommand not in _WITHOUT_CONFIGURATION:
        raise click.ClickException(f"{error}\nMend these first (`flask --app wsgi portal check-config` lists them).")


for _command in (*DATABASE_COMMANDS, *EXAMINING_COMMANDS):
    portal_cli.add_command(_command)
portal_cli.add_command(doctor_command)
portal_cli.add_command(export_moderation_command)


def init_app(app: Flask) -> None:
    app.cli.add_command(portal_cli)


def unconfigured_cli_app(error: ConfigError) -> Flask:
    """A stand-in for the flask CLI while the configuration has problems: it serves nothing (every request is a
    503) and its ``portal`` commands report the problems."""
    app = Flask("portal_app.unconfigured")
    app.extensions[CONFIG_ERROR] = error
    app.before_request(lambda: abort(503, description="The portal's configuration has problems; see its log."))
    init_app(app)
    return app


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
    problems = _rule_file_problems(settings)
    if problems:
        click.echo("\nThe files the configuration names have problems:\n" + "\n".join(f"  - {p}" for p in problems),
                   err=True)
        raise SystemExit(1)
    click.echo("\nConfiguration OK.")


def _rule_file_problems(settings: PortalSettings) -> list:
    """Every problem of the role rules and the moderation rules, which the portal would refuse to start with."""
    problems: list = []
    checks = ((RoleRules.load, RoleConfigError, settings.roles_file),
              (ModerationRules.load, ModerationRulesError, settings.moderation_rules_file))
    for load, errors, path in checks:
        try:
            load(path)
        except errors as exc:
            problems.extend(exc.problems)
    return problems


@portal_cli.command("explain")
@click.option("--claims", "claims_file", type=click.Path(exists=True, dir_okay=False),
              help="A JSON file of ID token claims: what the rules decide for them today.")
@click.option("--user", "email", help="A signed-in user (the roles decision stored in their session); in dev mode, "
                                      "a user of the emulator's directory (config/dev-directory.toml).")
@click.option("--directory", default="config/dev-directory.toml", show_default=True,
              help="Dev mode: the emulator directory to read --user from.")
def explain_command(claims_file: str | None, email: str | None, directory: str) -> None:
    """Print the roles and permissions that a set of claims earns, and the rule that granted each."""
    if bool(claims_file) == bool(email):
        raise click.UsageError("give exactly one of --claims FILE or --user EMAIL")
    settings: PortalSettings = current_app.extensions["portal.settings"]
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
            click.echo(_signed_in_user(email, rules), nl=False)
            return
    except (ValueError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(explain(claims, rules, settings.allowed_tenants, group_ids=group_ids), nl=False)


def _claims_from_file(claims_file: str) -> dict:
    """The claims object in a JSON file."""
    with open(claims_file, encoding="utf-8") as file:
        claims = json.load(file)
    if not isinstance(claims, dict):
        raise click.ClickException(f"{claims_file} must hold a JSON object of claims")
    return claims


def _emulator_user_claims(directory: str, email: str, client_id: str) -> tuple[dict, list[str] | None]:
    """The claims the emulator would issue to ``email``, and past the group overage what its Graph returns."""
    # Dev only: the emulator is not part of a production install, so import it only here.
    from emulator.claims import claims_for_directory_user, directory_user_group_ids

    claims = claims_for_directory_user(directory, email, client_id)
    group_ids = directory_user_group_ids(directory, email) if needs_group_overage(claims) else None
    return claims, group_ids


def _signed_in_user(email: str, rules: RoleRules) -> str:
    """The roles decision stored in ``email``'s latest signed-in session on this portal's session store."""
    from portal_app.signin.backend import backend

    sessions = backend().signed_in_sessions(email)
    if not sessions:
        raise click.ClickException(f"{email} has no signed-in session on this portal. Ask them to sign in, or "
                                   f"explain their claims with --claims FILE.")
    latest = max(sessions, key=user_session.signed_in_at)
    decision = RoleDecision.from_session(user_session.stored_roles(latest))
    return explain_stored(user_session.current_user(latest), decision, rules, sessions=len(sessions),
                          signed_in_at=user_session.signed_in_at(latest),
                          refreshed_at=user_session.refreshed_at(latest))
