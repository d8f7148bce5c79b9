"""The chart of accounts and the cooperative's users through the API: add, rename, deactivate an
account; add a user, set their roles, deactivate and unlock them — ledger.chart and auth.services
with the pages' rules and permissions."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from koppontren.auth import services as auth
from koppontren.auth import tokens
from koppontren.auth.models import Role
from koppontren.ledger import chart
from koppontren.ledger.posting import LineSpec, post_entry
from tests.api.conftest import Api


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["code"] == code
    return error


def put(api: Api, path: str, body):
    return api.client.put(api.url(path), data=json.dumps(body), content_type="application/json", headers=api.headers())


# --- accounts ---------------------------------------------------------------------------------------------

def test_the_treasurer_adds_renames_and_deactivates_a_cash_account(api, coop):
    r = api.post("/accounts", {"parent": "11", "code": "1104", "name": "Kas Koperasi Putri", "name_en": "Girls' cash", "cash_flow": "cash"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["code"], body["name"], body["parent"], body["type"], body["normal_balance"], body["active"], body["balance"]) == (
        "1104", "Kas Koperasi Putri", "11", "asset", "debit", True, "0")
    r = api.patch("/accounts/1104", {"name": "Kas Asrama Putri"})
    assert r.status_code == 200 and r.get_json()["name"] == "Kas Asrama Putri" and r.get_json()["name_en"] == "Girls' cash"
    r = api.patch("/accounts/1104", {"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert chart.account_by_code(coop, "1104").active is False
    assert api.patch("/accounts/1104", {"active": True}).get_json()["active"] is True


def test_an_account_with_a_balance_or_a_role_stays_active_and_a_blank_name_changes_nothing(api, build, coop, day):
    build.fund(coop, 1_000, day)
    _error(api.patch("/accounts/1101", {"active": False}), 422, "account_in_use")
    assert api.post("/accounts", {"parent": "6", "code": "6120", "name": "Beban Rapat", "cash_flow": "operating"}).status_code == 201
    post_entry(coop, entry_date=day, description="Rapat", lines=[LineSpec("6120", debit=Decimal(10)), LineSpec("1101", credit=Decimal(10))])
    _error(api.patch("/accounts/6120", {"active": False, "name": "Beban Rapat Anggota"}), 422, "account_in_use")
    assert chart.account_by_code(coop, "6120").name_id == "Beban Rapat"  # refused whole: the rename did not happen either
    error = _error(api.patch("/accounts/6120", {"name": "   "}), 422, "validation_error")
    assert "name" in error["fields"]


@pytest.mark.parametrize("body, status, code, field", [
    ({"parent": "1101", "code": "11011", "name": "X"}, 422, "unknown_account", "parent_code"),
    ({"parent": "11", "code": "2104", "name": "X"}, 422, "invalid_code", "code"),
    ({"parent": "11", "code": "1101", "name": "X"}, 409, "duplicate_code", "code"),
    ({"parent": "11", "code": "1198", "name": "X", "subledger": "santri"}, 422, "validation_error", "subledger"),
    ({"parent": "11", "code": "1198"}, 422, "validation_error", "name"),
])
def test_a_bad_account_is_refused_with_the_charts_own_codes(api, coop, body, status, code, field):
    error = _error(api.post("/accounts", body), status, code)
    assert field in error["fields"]
    assert chart.account_by_code(coop, "1198") is None


def test_accounts_are_changed_by_the_admin_and_treasurer_only_and_never_across_cooperatives(api_for, coop, client, other_coop):
    for role in ("cashier", "auditor", "member"):
        _error(api_for(role).post("/accounts", {"parent": "11", "code": "1198", "name": "X"}), 403, "forbidden")
        _error(api_for(role).patch("/accounts/1101", {"name": "X"}), 403, "forbidden")
    foreign = Api(client, other_coop[1], coop.slug)
    _error(foreign.patch("/accounts/1101", {"name": "Kas Dicuri"}), 404, "not_found")
    _error(api_for("treasurer").patch("/accounts/9999", {"name": "X"}), 404, "not_found")
    assert chart.account_by_code(coop, "1101").name_id != "Kas Dicuri" and chart.account_by_code(coop, "1198") is None


# --- users and roles ----------------------------------------------------------------------------------------

def test_the_admin_adds_a_user_who_must_change_the_first_password(api_for, coop):
    admin = api_for("admin")
    r = admin.post("/users", {"login": "Kasir.Dua", "name": "Kasir Dua", "password": "rahasia-kasir-2", "role": "cashier"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"login": "kasir.dua", "name": "Kasir Dua", "active": True, "roles": ["cashier"], "must_change_password": True}
    assert "rahasia" not in r.get_data(as_text=True)
    assert auth.roles_of(auth.get_user_by_login("kasir.dua"), coop) == {Role.CASHIER}
    _error(admin.post("/users", {"login": "kasir.dua", "name": "Lagi", "password": "rahasia-kasir-3", "role": "cashier"}), 409, "login_taken")
    error = _error(admin.post("/users", {"login": "kasir.tiga", "name": "K", "password": "pendek", "role": "cashier"}), 422, "weak_password")
    assert "password" in error["fields"]
    error = _error(admin.post("/users", {"login": "kasir.tiga", "name": "K", "password": "rahasia-kasir-3", "role": "raja"}), 422,
                   "validation_error")
    assert "role" in error["fields"] and auth.get_user_by_login("kasir.tiga") is None
    assert "kasir.dua" in [u["login"] for u in admin.get("/users").get_json()["items"]]


def test_setting_roles_grants_and_revokes_in_one_step_and_a_revoked_role_ends_the_users_tokens(api_for, coop, users, client):
    admin = api_for("admin")
    _row, cashier_token = tokens.create_token(coop, users["cashier"], "kasir")
    r = put(admin, "/users/cashier.alhikmah/roles", {"roles": ["treasurer", "auditor"]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["roles"] == ["auditor", "treasurer"]
    assert auth.roles_of(users["cashier"], coop) == {Role.TREASURER, Role.AUDITOR}
    _error(Api(client, cashier_token, coop.slug).get("/members"), 401, "unauthorized")
    # the last admin keeps the admin role: refused whole, the grant beside it did not happen either
    _error(put(admin, "/users/admin.alhikmah/roles", {"roles": ["treasurer"]}), 422, "last_admin")
    assert auth.roles_of(users["admin"], coop) == {Role.ADMIN}
    error = _error(put(admin, "/users/admin.alhikmah/roles", {"roles": ["raja"]}), 422, "validation_error")
    assert "roles.1" in error["fields"]
    _error(put(admin, "/users/tidak.ada/roles", {"roles": ["cashier"]}), 404, "not_found")


def test_the_admin_deactivates_a_user_and_unlocks_another(api_for, coop, users, client):
    admin = api_for("admin")
    treasurer = api_for("treasurer")
    r = admin.patch("/users/treasurer.alhikmah", {"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    _error(treasurer.get("/members"), 401, "unauthorized")
    _error(admin.patch("/users/admin.alhikmah", {"active": False}), 422, "own_account")
    assert admin.post("/users/cashier.alhikmah/unlock").status_code == 200


def test_users_are_the_admins_alone_and_another_cooperatives_users_do_not_exist_here(api_for, coop, client, other_coop):
    body = {"login": "baru.sekali", "name": "Baru", "password": "rahasia-baru-1", "role": "cashier"}
    for role in ("treasurer", "cashier", "auditor", "member"):
        _error(api_for(role).post("/users", body), 403, "forbidden")
        _error(put(api_for(role), "/users/cashier.alhikmah/roles", {"roles": ["admin"]}), 403, "forbidden")
    _other, token = other_coop
    _error(Api(client, token, coop.slug).post("/users", body), 404, "not_found")
    # a user of the other cooperative is no user of this one, even by its exact login
    _error(put(api_for("admin"), "/users/bendahara.annur/roles", {"roles": ["admin"]}), 404, "not_found")
    assert auth.roles_of(auth.get_user_by_login("bendahara.annur"), coop) == frozenset()
    assert auth.get_user_by_login("baru.sekali") is None
