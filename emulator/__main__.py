"""``python -m emulator``: serve the emulator; ``python -m emulator totp EMAIL``: print an MFA code."""

from __future__ import annotations

import argparse
import logging
import sys

import pyotp

from .app import DEFAULT_PORTAL_URL
from .directory import DirectoryError, load_directory
from .pki import ca_path
from .serving import build_server

APPOINTEE_TENANT_ID = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator", description="Local Entra ID emulator.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="HTTPS port (default 8443; 0 picks a free one)")
    parser.add_argument("--directory", default="config/dev-directory.toml", help="directory TOML file")
    parser.add_argument("--state-dir", default=".emulator", help="where the CA, TLS and signing keys live")
    parser.add_argument("--test-mode", action="store_true", help="enable the /_test/ controls")
    parser.add_argument("--portal-url", default=DEFAULT_PORTAL_URL, help="substituted for ${PORTAL_URL}")
    return parser


def serve(argv: list[str]) -> int:
    args = _serve_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s: %(message)s")
    try:
        server = build_server(host=args.host, port=args.port, directory_path=args.directory,
                              state_dir=args.state_dir, test_mode=args.test_mode, portal_url=args.portal_url)
    except DirectoryError as exc:
        print(f"emulator: the directory file is not valid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    base_url = server.app.extensions["emulator"].base_url
    print(f"Entra emulator authority: {base_url}/{APPOINTEE_TENANT_ID}", flush=True)
    print(f"CA certificate: {ca_path(args.state_dir).resolve()}", flush=True)
    print(f"AMP: {base_url}/amp/" + ("   (test mode: /_test/ controls enabled)" if args.test_mode else ""),
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def totp(argv: list[str]) -> int:
    """Print the current authenticator code for a directory user."""
    parser = argparse.ArgumentParser(prog="python -m emulator totp")
    parser.add_argument("email")
    parser.add_argument("--directory", default="config/dev-directory.toml")
    args = parser.parse_args(argv)
    try:
        directory = load_directory(args.directory, {"PORTAL_URL": DEFAULT_PORTAL_URL, "EMULATOR_URL": ""})
    except DirectoryError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    user = directory.user(args.email)
    if user is None or user.mfa != "totp":
        print(f"emulator: {args.email} has no authenticator app in {args.directory}", file=sys.stderr)
        return 1
    print(pyotp.TOTP(user.totp_secret).now())
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "totp":
        return totp(argv[1:])
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main())
