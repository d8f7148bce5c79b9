"""Tokens: made on a page or with the CLI, shown once, stored hashed, revocable; the API takes
nothing but a valid bearer token of the path's cooperative."""

from __future__ import annotations

import re

import pytest

from koppontren.auth import tokens
from koppontren.auth.models import ApiToken
from koppontren.cli import token_create
from koppontren.extensions import db
from tests.api.conftest import Api
from tests.helpers import login


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer kpt_1_" + "x" * 43,
                                    "Bearer " + "k" * 5000])
def test_a_missing_or_wrong_token_is_401(client, api, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/v1/coops/alhikmah", headers=headers)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_stored_only_as_a_hash_and_works_until_revoked(api, coop, users):
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == users["treasurer"].id))
    assert api.token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    assert api.get("").status_code == 200
    tokens.revoke_token(coop, users["treasurer"], row.id)
    assert api.get("").status_code == 401


def test_the_token_carries_the_users_current_roles(api, coop, users):
    from koppontren.auth import services

    services.grant_role(coop, users["treasurer"], "cashier")
    assert sorted(api.get("").json["roles"]) == ["cashier", "treasurer"]  # a role granted: the token has it at once
    assert api.get("/accounts").status_code == 200
    # a role taken away revokes the person's tokens for good (issue 18 §4): no old token keeps
    # or, with a later grant, regains a role — tests/api/test_token_lifecycle.py
    services.revoke_role(coop, users["treasurer"], "treasurer", actor=users["admin"])
    assert api.get("").status_code == 401
    services.grant_role(coop, users["treasurer"], "treasurer")
    assert api.get("").status_code == 401


def test_another_cooperatives_path_is_404_and_leaks_nothing(api, other_coop):
    other, _token = other_coop
    for path in ("", "/accounts", "/members", "/check"):
        r = Api(api.client, api.token, other.slug).get(path)
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found", path
    assert Api(api.client, api.token, "tidak-ada").get("").status_code == 404


def test_a_session_cookie_authenticates_no_api_call(client, users, api):
    login(client, "treasurer.alhikmah")
    assert client.get("/alhikmah/ledger/journal").status_code == 200
    assert client.get("/api/v1/coops/alhikmah").status_code == 401


def test_csrf_does_not_apply_to_the_bearer_api(build, coop, api, csrf_on, day):
    build.fund(coop, 1_000_000, day)
    r = api.post("/journal-entries", {"date": day.isoformat(), "description": "x", "lines": [
        {"account": "6102", "debit": "1"}, {"account": "1101", "credit": "1"}]})
    assert r.status_code == 201


def test_the_cli_prints_the_token_alone_on_its_last_line(app, coop, users):
    result = app.test_cli_runner().invoke(token_create, ["--coop", "alhikmah", "--user", "treasurer.alhikmah"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"kpt_[0-9]+_[A-Za-z0-9_-]{43}", token)
    db.session.commit()  # CLI transactions begin IMMEDIATE on SQLite: end it before the request below
    client = app.test_client()
    assert client.get("/api/v1/coops/alhikmah/check", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    bad = app.test_cli_runner().invoke(token_create, ["--coop", "annur", "--user", "treasurer.alhikmah"])
    assert bad.exit_code == 1
    outsider = app.test_cli_runner().invoke(token_create, ["--coop", "alhikmah", "--user", "nobody"])
    assert outsider.exit_code == 1
    db.session.commit()


def test_the_token_page_shows_a_new_token_once_and_revokes(client, coop, users):
    login(client, "treasurer.alhikmah")
    assert client.get("/alhikmah/tokens").status_code == 200
    page = client.post("/alhikmah/tokens", data={"name": "Mesin kasir 1"}).get_data(as_text=True)
    token = re.search(r'id="new-token-value">(kpt_[^<]+)<', page).group(1)
    assert client.get("/api/v1/coops/alhikmah", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = client.get("/alhikmah/tokens").get_data(as_text=True)
    assert "Mesin kasir 1" in listing and token not in listing
    token_id = int(token.split("_")[1])
    assert client.post(f"/alhikmah/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/coops/alhikmah", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_nobody_revokes_anothers_token_and_members_have_no_token_page(client, coop, users):
    other_row, _ = tokens.create_token(coop, users["admin"])
    login(client, "treasurer.alhikmah")
    assert client.post(f"/alhikmah/tokens/{other_row.id}/revoke").status_code == 404
    client.post("/logout")
    login(client, "member.alhikmah")
    assert client.get("/alhikmah/tokens").status_code == 403
    client.post("/logout")
    assert client.get("/alhikmah/tokens").status_code == 302


def test_requests_are_rate_limited_per_token(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    statuses = [api.get("").status_code for _ in range(3)]
    refused = api.get("")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429 and refused.json["error"]["code"] == "too_many_requests"


def test_guessing_tokens_from_one_address_is_rate_limited(app, client, api, monkeypatch):
    monkeypatch.setitem(app.config, "API_IP_RATE_LIMIT", "3 per minute")
    statuses = [client.get("/api/v1/coops/alhikmah", headers={"Authorization": f"Bearer kpt_1_{i:043d}"}).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
