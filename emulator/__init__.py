"""A local Microsoft Entra ID emulator (issue 3): enough of Entra v2.0 for MSAL Python to talk to unchanged.

Entry points: ``python -m emulator``; ``create_app`` (the Flask app); ``emulator.testing.running_emulator``
(a background HTTPS server for tests); ``issue_server_cert`` (a TLS cert from the emulator's CA).
"""

from .app import create_app
from .pki import ca_path, issue_server_cert

__all__ = ["create_app", "ca_path", "issue_server_cert"]
