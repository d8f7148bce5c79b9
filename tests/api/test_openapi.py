"""The OpenAPI 3.1 document: public, lists every /api/v1 route of the app, every operation with its
errors, and its schemas are the validator's (one registry)."""

from __future__ import annotations

import re

from koppontren.api import core


def _document(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.json


def test_the_document_lists_every_api_route_of_the_url_map(app, client):
    doc = _document(client)
    assert doc["openapi"].startswith("3.1")
    base = doc["servers"][0]["url"]
    documented = {(method.upper(), base + path) for path, item in doc["paths"].items() for method in item}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        routed |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed and routed == documented


def test_every_operation_documents_its_errors_and_auth(client):
    doc = _document(client)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if path == "/openapi.json":
                continue
            assert {"400", "401", "403", "404", "422"} <= set(op["responses"]), (method, path)
            assert op["security"] == [{"bearer": []}]
            if method in ("post", "put", "patch"):
                assert "409" in op["responses"]
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]


def test_financial_posts_take_an_idempotency_key(client):
    doc = _document(client)
    for path in ("/coops/{coop}/journal-entries", "/coops/{coop}/sales", "/coops/{coop}/purchases",
                 "/coops/{coop}/members/{number}/savings/{kind}/deposits", "/coops/{coop}/stock-counts"):
        names = [p["name"] for p in doc["paths"][path]["post"]["parameters"]]
        assert "Idempotency-Key" in names, path


def test_the_document_is_made_from_the_same_schemas_the_validator_uses(client):
    doc = _document(client)
    assert doc["components"]["schemas"] == core.SCHEMAS
    journal = doc["paths"]["/coops/{coop}/journal-entries"]["post"]
    assert journal["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/JournalEntryInput"}
