"""Security headers on every response, and the session's lifetime.

The pages load scripts and styles only from the app itself (no inline ``<script>``, no ``style``
attributes, no CDN: the app works offline), so the Content-Security-Policy can be strict: a stored
``<script>`` that slipped past escaping still would not run. Pages can't be framed (clickjacking of
a treasurer's "post" button); HSTS only in production, where the app is served over HTTPS.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def register_security(app: Flask) -> None:
    """Install the headers and make sessions expire after ``SESSION_IDLE_MINUTES`` without a request
    (Flask checks the signed cookie's age on every load, so an old cookie is worthless server-side too)."""
    app.permanent_session_lifetime = timedelta(minutes=int(app.config["SESSION_IDLE_MINUTES"]))
    app.config.setdefault("SESSION_REFRESH_EACH_REQUEST", True)
    hsts = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if hsts:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint not in ("static",) and not (request.endpoint or "").endswith(".static"):
            # pages show money and personal data: no shared or back-button caches of them
            headers.setdefault("Cache-Control", "no-store")
        return response
