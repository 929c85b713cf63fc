"""The emulator's directory: tenants, app registrations and users loaded from a TOML file."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

MFA_METHODS = ("totp", "sms", "none")
# Names Entra accepts in place of a tenant id; the user's home tenant then decides "tid".
MULTI_TENANT_SEGMENTS = ("organizations", "common")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


class DirectoryError(ValueError):
    """The directory file is missing, malformed or inconsistent; the message lists every problem."""


@dataclass(frozen=True)
class Tenant:
    """An Entra tenant."""

    id: str
    name: str
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppRegistration:
    """A registered web app (confidential client)."""

    client_id: str
    name: str
    tenant_id: str
    secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    frontchannel_logout_url: str = ""
    app_roles: tuple[str, ...] = ()
    multi_tenant: bool = False
    group_claims: bool = False
    # Certificates uploaded for client assertions (PEM, public part only), as under "Certificates & secrets".
    certificates: tuple[str, ...] = ()
    # Application ID URIs (api://...) that name this app as a resource, beside its client id.
    identifier_uris: tuple[str, ...] = ()
    # Application permissions granted to this app (admin consent): resource client id -> app roles.
    app_permissions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def usable_in(self, tenant_id: str) -> bool:
        """Whether the app has a service principal in ``tenant_id`` (its home tenant, or any if multi-tenant)."""
        return self.multi_tenant or self.tenant_id == tenant_id

    def service_principal_oid(self, tenant_id: str) -> str:
        """The object id of the app's service principal in a tenant: ``oid`` and ``sub`` of its app-only tokens."""
        return str(uuid.uuid5(uuid.UUID(self.client_id), f"service-principal:{tenant_id}"))

    def accepts_redirect_uri(self, uri: str) -> bool:
        """Whether ``uri`` is one of the registered redirect URIs (loopback ones match on any port)."""
        return any(uri_matches(registered, uri) for registered in self.redirect_uris)

    def accepts_post_logout_uri(self, uri: str) -> bool:
        """Whether ``uri`` is registered for this app as a post-logout redirect (or as a redirect URI)."""
        registered = self.post_logout_redirect_uris + self.redirect_uris
        return any(uri_matches(candidate, uri) for candidate in registered)


@dataclass(frozen=True)
class User:
    """A directory user with credentials, MFA method, groups and app-role assignments."""

    email: str
    name: str
    oid: str
    tenant_id: str
    password: str
    mfa: str
    totp_secret: str = ""
    phone: str = ""
    groups: tuple[str, ...] = ()
    app_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def roles_for(self, client_id: str) -> tuple[str, ...]:
        """App roles assigned to this user for the app ``client_id``."""
        return self.app_roles.get(client_id, ())


def uri_matches(registered: str, candidate: str) -> bool:
    """Entra's redirect URI rule: exact match, except that a loopback host matches on any port."""
    if registered == candidate:
        return True
    reg, cand = urlsplit(registered), urlsplit(candidate)
    if reg.hostname not in LOOPBACK_HOSTS or reg.hostname != cand.hostname:
        return False
    return (reg.scheme, reg.path, reg.query, reg.fragment) == (cand.scheme, cand.path, cand.query, cand.fragment)


def generated_group_ids(oid: str, count: int) -> tuple[str, ...]:
    """``count`` deterministic group ids for the user ``oid`` (so a 250-group user needs no 250-line list)."""
    namespace = uuid.UUID(oid)
    return tuple(str(uuid.uuid5(namespace, f"group-{index}")) for index in range(count))


class Directory:
    """Lookups over the loaded tenants, apps and users."""

    def __init__(self, tenants: list[Tenant], apps: list[AppRegistration], users: list[User]) -> None:
        self.tenants = {tenant.id: tenant for tenant in tenants}
        self.apps = {app.client_id: app for app in apps}
        self.users = {user.email.lower(): user for user in users}
        self._domains = {domain.lower(): tenant.id for tenant in tenants for domain in tenant.domains}

    def user(self, email: str) -> User | None:
        """The user signing in as ``email`` (case-insensitive), or None."""
        return self.users.get(email.strip().lower())

    def user_by_oid(self, oid: str) -> User | None:
        """The user with object id ``oid``, or None."""
        return next((user for user in self.users.values() if user.oid == oid), None)

    def app(self, client_id: str) -> AppRegistration | None:
        """The app registration ``client_id``, or None."""
        return self.apps.get(client_id)

    def resource(self, identifier: str) -> AppRegistration | None:
        """The app a scope's resource names: its client id or one of its application ID URIs."""
        wanted = identifier.rstrip("/").lower()
        return next((app for app in self.apps.values() if app.client_id.lower() == wanted
                     or wanted in (uri.rstrip("/").lower() for uri in app.identifier_uris)), None)

    def resolve_tenant(self, segment: str) -> Tenant | None:
        """The tenant named by an authority segment (id or verified domain); None for unknown or multi-tenant."""
        key = segment.lower()
        tenant_id = key if key in self.tenants else self._domains.get(key)
        return self.tenants.get(tenant_id) if tenant_id else None


def load_directory(path: str | Path, substitutions: dict[str, str]) -> Directory:
    """Load and check the directory file, substituting ``${NAME}`` placeholders; raises DirectoryError."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DirectoryError(f"{path}: cannot read the directory: {exc}") from exc
    raw = _substitute(raw, substitutions)
    problems: list[str] = []
    tenants = [_tenant(entry, problems) for entry in raw.get("tenants", [])]
    apps = [_app(entry, problems, Path(path).parent) for entry in raw.get("apps", [])]
    users = [_user(entry, problems) for entry in raw.get("users", [])]
    directory = Directory(tenants, apps, users)
    problems += _cross_checks(directory)
    if problems:
        raise DirectoryError(f"{path}: " + "; ".join(problems))
    return directory


def _substitute(value, substitutions: dict[str, str]):
    """Replace ``${NAME}`` in every string of a parsed TOML tree."""
    if isinstance(value, str):
        for name, replacement in substitutions.items():
            value = value.replace("${" + name + "}", replacement.rstrip("/"))
        return value
    if isinstance(value, list):
        return [_substitute(item, substitutions) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, substitutions) for key, item in value.items()}
    return value


def _required(entry: dict, key: str, where: str, problems: list[str]) -> str:
    """A required non-empty string key, noting a problem when absent."""
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        problems.append(f"{where}: '{key}' is required")
        return ""
    return value


def _tenant(entry: dict, problems: list[str]) -> Tenant:
    where = f"tenant {entry.get('id', '?')}"
    return Tenant(
        id=_required(entry, "id", where, problems).lower(),
        name=_required(entry, "name", where, problems),
        domains=tuple(entry.get("domains", ())),
    )


def _app(entry: dict, problems: list[str], folder: Path) -> AppRegistration:
    where = f"app {entry.get('client_id', '?')}"
    return AppRegistration(
        client_id=_required(entry, "client_id", where, problems),
        name=_required(entry, "name", where, problems),
        tenant_id=_required(entry, "tenant", where, problems).lower(),
        secret=_required(entry, "secret", where, problems),
        redirect_uris=tuple(entry.get("redirect_uris", ())),
        post_logout_redirect_uris=tuple(entry.get("post_logout_redirect_uris", ())),
        frontchannel_logout_url=entry.get("frontchannel_logout_url", ""),
        app_roles=tuple(entry.get("app_roles", ())),
        multi_tenant=bool(entry.get("multi_tenant", False)),
        group_claims=bool(entry.get("group_claims", False)),
        certificates=_certificates(entry.get("certificates", []), where, folder, problems),
        identifier_uris=tuple(entry.get("identifier_uris", ())),
        app_permissions={resource: tuple(roles) for resource, roles in entry.get("app_permissions", {}).items()},
    )


def _certificates(paths, where: str, folder: Path, problems: list[str]) -> tuple[str, ...]:
    """The PEM text of each certificate file an app lists (paths relative to the directory file)."""
    found = []
    for name in paths if isinstance(paths, list) else [paths]:
        path = Path(str(name)) if Path(str(name)).is_absolute() else folder / str(name)
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{where}: certificate {path} cannot be read: {exc}")
            continue
        if "-----BEGIN CERTIFICATE-----" not in text:
            problems.append(f"{where}: {path} holds no PEM certificate")
            continue
        found.append(text)
    return tuple(found)


def _user(entry: dict, problems: list[str]) -> User:
    where = f"user {entry.get('email', '?')}"
    oid = _required(entry, "oid", where, problems)
    groups = tuple(entry.get("groups", ()))
    if entry.get("generated_groups") and oid:
        groups += generated_group_ids(oid, int(entry["generated_groups"]))
    mfa = entry.get("mfa", "none")
    if mfa not in MFA_METHODS:
        problems.append(f"{where}: 'mfa' must be one of {', '.join(MFA_METHODS)}")
    if mfa == "totp" and not entry.get("totp_secret"):
        problems.append(f"{where}: mfa = 'totp' needs 'totp_secret'")
    if mfa == "sms" and not entry.get("phone"):
        problems.append(f"{where}: mfa = 'sms' needs 'phone'")
    return User(
        email=_required(entry, "email", where, problems),
        name=_required(entry, "name", where, problems),
        oid=oid,
        tenant_id=_required(entry, "tenant", where, problems).lower(),
        password=_required(entry, "password", where, problems),
        mfa=mfa,
        totp_secret=entry.get("totp_secret", ""),
        phone=entry.get("phone", ""),
        groups=groups,
        app_roles={client: tuple(roles) for client, roles in entry.get("app_roles", {}).items()},
    )


def _cross_checks(directory: Directory) -> list[str]:
    """References between entries: home tenants exist, assigned roles are defined by the app."""
    problems = []
    for app in directory.apps.values():
        if app.tenant_id not in directory.tenants:
            problems.append(f"app {app.client_id}: unknown tenant {app.tenant_id}")
        for resource_id, roles in app.app_permissions.items():
            resource = directory.app(resource_id)
            undefined = [role for role in roles if resource is None or role not in resource.app_roles]
            if undefined:
                problems.append(f"app {app.client_id}: app permissions {undefined} not defined by app {resource_id}")
    for user in directory.users.values():
        if user.tenant_id not in directory.tenants:
            problems.append(f"user {user.email}: unknown tenant {user.tenant_id}")
        for client_id, roles in user.app_roles.items():
            app = directory.app(client_id)
            undefined = [role for role in roles if app is None or role not in app.app_roles]
            if undefined:
                problems.append(f"user {user.email}: roles {undefined} not defined by app {client_id}")
    return problems
