"""The WSGI app gunicorn serves for ``bench/pos_sale.py``: the real Koppontren app on the benchmark's
database, plus one bare JSON endpoint (``/bench/ping``) on the same server as the baseline.

CSRF is off here because the benchmark client is a script, not a browser; everything else — login
session, tenancy and permission checks, the sale service, the commit — is the production path.
"""

from __future__ import annotations

import os

from flask import jsonify

from koppontren import create_app

app = create_app("production", SQLALCHEMY_DATABASE_URI=os.environ["BENCH_DATABASE_URL"], SECRET_KEY=os.environ["KOPPONTREN_SECRET_KEY"],
                 WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)


@app.get("/bench/ping")
def ping():
    return jsonify({"ok": True, "server": os.environ.get("BENCH_SERVER_TOKEN")})


ping.required_permission = "public"
