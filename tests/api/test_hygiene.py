"""HTTP hygiene of /api/v1 (issue 18 §9): a 405 names the methods the path answers (``Allow``), a
body that is not ``application/json`` is refused with 415 before anything runs, and a JSON object
with a key twice — at any depth — is malformed JSON (400 ``invalid_json``), nothing written.
Idempotent replays keep working."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from koppontren.api import core
from koppontren.auth.models import Role
from koppontren.auth.permissions import PERMISSIONS
from koppontren.extensions import db
from koppontren.ledger.models import JournalEntry

#: a value of the right shape for each path parameter (so routing, not a 404, decides)
SAMPLE = {"coop": "alhikmah", "code": "1101", "kind": "sukarela", "sku": "BRS-5", "year": "2026", "month": "3", "nis": "1001",
          "name": "balance-sheet", "login": "admin.alhikmah"}
METHODS = ("DELETE", "PUT", "PATCH", "POST", "GET")


def _entry(day, **over):
    body = {"date": day.isoformat(), "description": "Penjualan tunai", "lines": [
        {"account": "1101", "debit": "150000"}, {"account": "4201", "credit": "150000.00"}]}
    body.update(over)
    return body


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    return error


def _fill(rule: str) -> str:
    def value(m: re.Match) -> str:
        converter, name = m.group(1), m.group(2)
        if converter == "path":
            return "JU/2026/000001"  # a voucher number
        return "A-0001" if name == "number" else SAMPLE.get(name, "1")  # a member number

    return re.sub(r"<(?:([a-z]+):)?([a-z_]+)>", value, rule)


# --- 405 -------------------------------------------------------------------------------------------

def test_every_api_path_answers_an_unlisted_method_with_405_and_allow(app, client):
    by_path: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            by_path.setdefault(rule.rule, set()).update(rule.methods)
    assert len(by_path) > 20
    router = app.url_map.bind("localhost")
    for rule, methods in by_path.items():
        method = next(m for m in METHODS if m not in router.allowed_methods(_fill(rule)))
        r = client.open(_fill(rule), method=method, data="{}", content_type="application/json")
        error = _error(r, 405, "method_not_allowed")
        assert error["fields"] == {}
        allow = set(r.headers["Allow"].split(", "))
        # what the router answers there: the rule's own methods (GET comes with HEAD, OPTIONS with every path), and for
        # .../<path:number>/reverse also GET, which the entry's <path:number> route takes (and answers 404 for that number)
        assert allow == set(router.allowed_methods(_fill(rule))) and methods <= allow, rule


def test_a_page_answers_405_with_allow_too(client):
    r = client.delete("/login")
    assert r.status_code == 405 and set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_the_document_says_a_405_carries_allow(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["components"]["responses"]["E405"]["headers"]["Allow"]["required"] is True


# --- 415 -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                          "application/jsonx", "text/json"])
def test_a_body_that_is_not_application_json_is_415_and_nothing_is_written(api, day, content_type):
    body = json.dumps(_entry(day))
    headers = api.headers(key=f"k-{re.sub(r'[^a-z]+', '-', str(content_type))}")
    if content_type is not None:
        headers["Content-Type"] = content_type
    r = api.client.post(api.url("/journal-entries"), data=body, headers=headers)
    error = _error(r, 415, "unsupported_media_type")
    assert "application/json" in error["message"] and "Content-Type" in error["fields"]
    assert _entries() == 0
    # the key was not used up by the refusal: the same request, as JSON, posts
    assert api.client.post(api.url("/journal-entries"), data=body, content_type="application/json", headers=headers
                           if content_type is None else {k: v for k, v in headers.items() if k != "Content-Type"}).status_code == 201
    assert _entries() == 1


def test_every_operation_with_a_body_refuses_a_form_and_documents_415(app, api_for, client, coop):
    doc = client.get("/api/v1/openapi.json").get_json()
    with_body = [op for op in core.OPERATIONS if op.body is not None]
    assert {op.method for op in with_body} == {"POST", "PUT", "PATCH"}
    for op in with_body:
        role = next(r for r in ("admin", "treasurer", "cashier") if Role(r) in PERMISSIONS[op.permission])
        api = api_for(role)
        url = _fill(next(r.rule for r in app.url_map.iter_rules() if r.endpoint == f"api.{op.endpoint}"))
        r = client.open(url, method=op.method, data="nis=1001&name=Ahmad", content_type="application/x-www-form-urlencoded",
                        headers=api.headers())
        assert r.status_code == 415 and r.get_json()["error"]["code"] == "unsupported_media_type", (url, r.get_json())
        assert "415" in doc["paths"][op.path][op.method.lower()]["responses"], op.path
    for op in core.OPERATIONS:
        if op.body is None:
            assert "415" not in doc["paths"][op.path][op.method.lower()]["responses"], op.path


def test_json_with_a_charset_and_an_empty_body_without_a_type_still_pass(api, day):
    r = api.client.post(api.url("/journal-entries"), data=json.dumps(_entry(day)), content_type="application/json; charset=utf-8",
                        headers=api.headers())
    assert r.status_code == 201
    r = api.client.post(api.url("/journal-entries"), headers=api.headers())  # no body at all: its required fields are named
    error = _error(r, 422, "validation_error")
    assert "date" in error["fields"]


def test_an_unauthenticated_form_post_is_still_401(api_for, day):
    anonymous = api_for(None)
    r = anonymous.client.post(anonymous.url("/journal-entries"), data="a=1", content_type="application/x-www-form-urlencoded")
    _error(r, 401, "unauthorized")


# --- duplicate keys --------------------------------------------------------------------------------

def test_a_key_twice_at_the_top_level_is_invalid_json(api, day):
    raw = ('{"date": "DAY", "description": "Bayar listrik", "description": "Lain", "lines": '
           '[{"account": "6102", "debit": "150000"}, {"account": "1101", "credit": "150000"}]}').replace("DAY", day.isoformat())
    error = _error(api.post("/journal-entries", raw=raw), 400, "invalid_json")
    assert '"description"' in error["message"]
    assert _entries() == 0


def test_a_key_twice_in_a_nested_object_is_invalid_json(api, day, coop):
    raw = ('{"date": "DAY", "description": "Bayar listrik", "lines": '
           '[{"account": "6102", "debit": "150000"}, {"account": "1101", "credit": "150000", "credit": "1"}]}').replace("DAY", day.isoformat())
    error = _error(api.post("/journal-entries", raw=raw), 400, "invalid_json")
    assert '"credit"' in error["message"]
    deeper = '{"nis": "1001", "name": "Ahmad", "x": {"a": [{"b": {"c": 1, "c": 2}}]}}'
    _error(api.post("/wallets", raw=deeper), 400, "invalid_json")
    assert _entries() == 0
    # the same key in two different objects is not a duplicate
    assert api.post("/journal-entries", _entry(day)).status_code == 201


def test_malformed_json_is_still_400_invalid_json(api):
    for raw in ('{"date": ', "[1, 2", '{"a": NaN}', b"\xff\xfe", "{'a': 1}"):
        _error(api.post("/journal-entries", raw=raw), 400, "invalid_json")
    assert _entries() == 0


# --- idempotency -----------------------------------------------------------------------------------

def test_idempotent_replays_still_work_and_a_refused_body_does_not_spend_the_key(api, day):
    first = api.post("/journal-entries", _entry(day), key="hyg-1")
    assert first.status_code == 201
    # the same body, keys reordered and spaced differently: the same request
    again = api.post("/journal-entries", key="hyg-1", raw=json.dumps(dict(reversed(list(_entry(day).items()))), indent=2))
    assert (again.status_code, again.data, again.headers["Idempotent-Replayed"]) == (201, first.data, "true")
    # a duplicate key or a form body under the same key is refused as such, not replayed and not a conflict
    duplicated = json.dumps(_entry(day))[:-1] + ', "description": "x"}'
    _error(api.post("/journal-entries", key="hyg-1", raw=duplicated), 400, "invalid_json")
    r = api.client.post(api.url("/journal-entries"), data=json.dumps(_entry(day)), content_type="text/plain", headers=api.headers("hyg-1"))
    _error(r, 415, "unsupported_media_type")
    assert _entries() == 1
    assert api.post("/journal-entries", _entry(day, description="Lain"), key="hyg-1").status_code == 409
