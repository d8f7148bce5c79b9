"""The WSGI app the crash test's gunicorn serves: the real app on the test's own database.

CSRF is off because the client is a script; login, tenancy, permissions, the services and the
commits are the production path.
"""

from __future__ import annotations

import os

from koppontren import create_app

app = create_app("production", SQLALCHEMY_DATABASE_URI=os.environ["CRASH_DATABASE_URL"], WTF_CSRF_ENABLED=False,
                 RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False, SECRET_KEY="crash-test-" + "k" * 40)
