"""The portal's own cookies, set one way: HttpOnly, path /, Secure under https, SameSite=Lax unless cross-site.

Every cookie here is read only on the server, so none needs JavaScript access; ``cross_site`` is for the one
cookie that must ride on Entra's cross-site ``form_post`` back to the callback (SameSite=None needs Secure,
which browsers accept on http://localhost too).
"""

from __future__ import annotations

from flask import Response, current_app


def cookie_name(name: str, *, https: bool) -> str:
    """``__Host-`` + ``name`` under https (bound to this exact host, Secure, path /), else ``name``."""
    return f"__Host-{name}" if https else name


def set_cookie(response: Response, name: str, value: str, *, max_age: int, cross_site: bool = False) -> None:
    secure = cross_site or current_app.extensions["portal.settings"].uses_https
    response.set_cookie(name, value, max_age=max_age, secure=secure, httponly=True,
                        samesite="None" if cross_site else "Lax", path="/")


def forget_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/")
