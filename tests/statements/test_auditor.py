"""The auditor (pengawas) reads every report and changes nothing: every POST route of the whole app
is refused, and nothing is written."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from tests.helpers import login
from tests.statements.conftest import build_year

#: POST routes the auditor may use: their own API tokens (a token carries only the auditor's own
#: read-only permissions; it changes nothing in the cooperative's books)
OWN_ACCOUNT = {"users.api_tokens", "users.revoke_api_token"}
SAMPLE = {"user_id": "1", "entry_id": "1", "member_id": "1", "tx_id": "1", "sale_id": "1", "payment_id": "1", "product_id": "1",
          "party_id": "1", "purchase_id": "1", "code": "1101", "page": "1", "report": "balance-sheet", "year": "2025"}


def _fill(rule: str, slug: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE.get(m.group(1), "1"), rule.replace("<coop_slug>", slug))


def test_every_post_route_is_refused_for_the_auditor(app, client, build):
    year = build_year(build)
    build.user("pengawas", year.coop, "auditor")
    login(client, "pengawas")
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or "coop_slug" not in rule.arguments or rule.endpoint in OWN_ACCOUNT:
            continue
        path = _fill(rule.rule, year.coop.slug)
        response = client.post(path, data={"confirm": "y", "amount": "1000", "date": "2025-12-01"})
        assert response.status_code == 403, path
        checked += 1
    assert checked > 30
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before  # nothing written


def test_the_auditor_sees_every_report_and_download_without_a_form_that_posts(client, build):
    year = build_year(build)
    build.user("pengawas", year.coop, "auditor")
    login(client, "pengawas")
    base = f"/{year.coop.slug}/reports"
    menu = client.get(base).get_data(as_text=True)
    assert 'method="post"' not in menu.split("<main")[1]
    for path in ("/balance-sheet?period=year&year=2025", "/rat-pack", "/integrity"):
        page = client.get(base + path).get_data(as_text=True)
        assert 'method="post"' not in page.split("<main")[1], path
    for fmt in ("pdf", "xlsx"):
        assert client.get(f"{base}/cash-flow/{fmt}?period=year&year=2025").status_code == 200
