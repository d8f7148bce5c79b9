"""Idempotency-Key under races, on PostgreSQL: simultaneous requests with one key post once and all
get the first response; the same key with another body never posts."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.shop.models import Sale
from koppontren.tenancy.services import get_by_slug
from tests.ledger.test_concurrency import _run_threads

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def _race(app, api, path: str, bodies: list[dict], key: str) -> list[tuple[int, bytes]]:
    db.session.commit()
    results: list[tuple[int, bytes]] = []

    def work(i: int) -> None:
        client = app.test_client()
        r = client.post(api.url(path), data=json.dumps(bodies[i]), content_type="application/json", headers=api.headers(key))
        results.append((r.status_code, r.data))

    assert _run_threads(app, len(bodies), work) == []
    return results


def test_four_simultaneous_sales_with_one_key_sell_once_and_answer_alike(app, api, stocked, day):
    body = {"date": day.isoformat(), "payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 3}]}
    results = _race(app, api, "/sales", [body] * 4, "race-sale")
    assert [status for status, _ in results] == [201] * 4
    assert len({data for _, data in results}) == 1
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 1
    assert api.get("/products/BRS-5").json["quantity"] == 7
    assert check_cooperative(get_by_slug("alhikmah")).ok


def test_one_key_with_two_bodies_posts_one_of_them(app, build, api, coop, day):
    build.fund(coop, 1_000_000, day)  # Kas Besar pays the bill
    def entry(amount: str) -> dict:
        return {"date": day.isoformat(), "description": "Listrik", "lines": [
            {"account": "6102", "debit": amount}, {"account": "1101", "credit": amount}]}

    results = _race(app, api, "/journal-entries", [entry("100"), entry("200"), entry("100"), entry("200")], "race-entry")
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 2 and statuses.count(409) == 2, statuses
    assert queries.search_entries(get_by_slug("alhikmah"), queries.JournalFilter())[1] == 2  # the capital and one of the bills
