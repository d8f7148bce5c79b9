"""Schemathesis against the OpenAPI document (issue 8 acceptance): a bounded number of generated
requests per operation, with a treasurer's token of a seeded cooperative, finds no 5xx and no
response that breaks the documented schema, status codes or content type."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from koppontren.auth import tokens
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.members import services as members
from koppontren.savings import services as savings
from koppontren.shop import services as shop

MAX_EXAMPLES = 5
#: KOPPONTREN_SCHEMATHESIS_FULL=1 runs the coverage phase on PostgreSQL too (see api_schema).
FULL_ON_POSTGRES = os.environ.get("KOPPONTREN_SCHEMATHESIS_FULL") == "1"
#: unsupported_method: in the coverage phase, a method a path does not list answers 405 with Allow
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, unsupported_method]


@pytest.fixture
def seeded(app, build, monkeypatch):
    """A cooperative with a treasurer, a member with savings, a supplier, a product in stock, a sale
    and a journal entry — so generated requests also reach real rows."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    monkeypatch.setitem(app.config, "API_IP_RATE_LIMIT", "100000 per minute")
    coop = build.coop("demo")
    treasurer = build.user("bendahara", coop, "treasurer")
    day = today()
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000)}, sukarela_earns_shu=False,
                            default_account_id=None, actor=None)
    member = members.register_member(coop, members.MemberData(name="Siti", category="santri", join_date=date(day.year, 1, 2)), actor=None)
    savings.deposit(coop, member, "sukarela", amount=Decimal(50_000), day=day)
    supplier = shop.create_party(coop, kind="supplier", code="SUP-01", name="CV Pemasok")
    product = shop.create_product(coop, shop.ProductData(sku="BRS-5", name="Beras", price=Decimal(75_000)))
    build.fund(coop, 10_000_000, day)
    shop.record_purchase(coop, party_id=supplier.id, items=[shop.PurchaseItem(product.id, 50, Decimal(60_000))], day=day)
    shop.record_sale(coop, items=[shop.SaleItem(product.id, 1)], day=day)
    post_entry(coop, entry_date=day, description="Contoh", lines=[LineSpec("6102", debit=1000), LineSpec("1101", credit=1000)])
    _row, token = tokens.create_token(coop, treasurer)
    db.session.commit()
    return coop, token


@pytest.fixture
def api_schema(app, seeded, is_postgres):
    def isolated(environ, start_response):
        """Each request in its own app context (own ``g`` and session), as in production."""
        db.session.commit()
        with app.app_context():
            return app(environ, start_response)

    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated)
    if is_postgres and not FULL_ON_POSTGRES:
        # The coverage phase (a request for each boundary and each invalid value of every parameter)
        # is most of this test's time, and what it checks is the schema and the handlers' validation,
        # the same on either database: it runs in full on SQLite. On PostgreSQL the examples and the
        # generated requests still run, so a handler that breaks only there still shows.
        loaded.config.phases.coverage.enabled = False
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_keeps_its_documented_contract(case, seeded):
    coop, token = seeded
    if "coop" in (case.path_parameters or {}):
        case.path_parameters["coop"] = coop.slug
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
