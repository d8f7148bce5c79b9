"""Error pages in the user's language (400/403/404/405/429/500) and JSON for API paths."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from koppontren.extensions import db

TITLES = {
    400: lambda: _("Permintaan tidak sah"),
    403: lambda: _("Akses ditolak"),
    404: lambda: _("Halaman tidak ditemukan"),
    405: lambda: _("Metode tidak diizinkan"),
    429: lambda: _("Terlalu banyak percobaan"),
    500: lambda: _("Terjadi kesalahan pada server"),
}
MESSAGES = {
    400: lambda: _("Permintaan tidak dapat diproses. Periksa isian Anda lalu coba lagi."),
    403: lambda: _("Anda tidak memiliki izin untuk membuka halaman ini."),
    404: lambda: _("Halaman yang Anda cari tidak ada atau bukan milik koperasi Anda."),
    405: lambda: _("Cara membuka halaman ini tidak diizinkan."),
    429: lambda: _("Terlalu banyak percobaan dalam waktu singkat. Tunggu satu menit lalu coba lagi."),
    500: lambda: _("Maaf, terjadi kesalahan. Tidak ada data yang tersimpan sebagian; silakan coba lagi."),
}


def _render(status: int, message: str | None = None):
    if request.path.startswith("/api/"):
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 429: "too_many_requests", 500: "server_error"}
        return jsonify(error={"code": codes[status], "message": message or MESSAGES[status](), "fields": {}}), status
    return render_template("errors/error.html", status=status, title=TITLES[status](),
                           message=message or MESSAGES[status]()), status


def _method_not_allowed(e):
    """405 with its ``Allow`` header (RFC 9110: the methods the path answers), which the exception
    carries and a plain rendered page would drop."""
    response = make_response(_render(405))
    methods = sorted(getattr(e, "valid_methods", None) or ())
    if methods:
        response.headers["Allow"] = ", ".join(methods)
    return response


def register_error_handlers(app: Flask) -> None:
    for status in (400, 403, 404):
        app.register_error_handler(status, lambda e, s=status: _render(s))
    app.register_error_handler(405, _method_not_allowed)

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return _render(400, _("Formulir kedaluwarsa atau tidak sah (token CSRF). Muat ulang halaman lalu kirim lagi."))

    @app.errorhandler(429)
    def too_many(e):
        return _render(429)

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return _render(500)
