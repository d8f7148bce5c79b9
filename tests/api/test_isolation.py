"""Every API operation, walked from the registry: without a token 401; with another cooperative's
token 404 on this cooperative's paths (real rows behind them), so no data of one cooperative ever
reaches another's token."""

from __future__ import annotations

import json
import re

import pytest

from koppontren.api import core
from tests.api.conftest import Api

SAMPLE = {"code": "1101", "nis": "1001", "number": None, "kind": "sukarela", "sku": "BRS-5", "year": "2026", "month": "1", "name": "balance-sheet",
          "login": "admin.alhikmah", "id": "1"}


def _paths(sale_number: str, member_number: str, entry_number: str):
    for op in core.OPERATIONS:
        if op.permission is None:
            continue

        def fill(m, op=op):
            name = m.group(1)
            if name == "coop":
                return "{coop}"
            if name == "number":
                if "/members/" in op.path:
                    return member_number
                if "/santri/" in op.path:
                    return SAMPLE["nis"]
                return sale_number if "/sales/" in op.path else entry_number
            return SAMPLE[name]

        yield op.method, re.sub(r"\{([a-z_]+)\}", fill, op.path)


@pytest.fixture
def real_rows(api, stocked, member, day):
    sale = api.post("/sales", {"date": day.isoformat(), "payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1}]}).json
    entry = api.post("/journal-entries", {"date": day.isoformat(), "description": "x", "lines": [
        {"account": "6102", "debit": "1"}, {"account": "1101", "credit": "1"}]}).json
    assert api.post("/wallets", {"nis": "1001", "name": "Ahmad Fauzi"}).status_code == 201  # SAMPLE["nis"]: a real wallet
    return sale["number"], member.number, entry["number"]


def _call(client, method: str, url: str, headers: dict):
    if method == "GET":
        return client.get(url, headers=headers)
    return client.open(url, method=method, data=json.dumps({}), content_type="application/json", headers=headers)


def test_every_operation_needs_a_token(client, real_rows):
    for method, path in _paths(*real_rows):
        r = _call(client, method, "/api/v1" + path.replace("{coop}", "alhikmah"), {})
        assert r.status_code == 401, (method, path)


def test_another_cooperatives_token_gets_404_on_every_operation(client, api, other_coop, real_rows):
    _other, token = other_coop
    foreign = Api(client, token, "alhikmah")
    for method, path in _paths(*real_rows):
        r = _call(client, method, "/api/v1" + path.replace("{coop}", "alhikmah"), foreign.headers())
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.json["error"]["code"] == "not_found"


def test_the_walk_covers_every_operation(real_rows):
    assert len(list(_paths(*real_rows))) == len(core.OPERATIONS) - 1  # all but the public document
