"""Creating and configuring cooperatives: operator pages, admin settings, services, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from koppontren.audit.models import AuditEvent
from koppontren.auth import services as auth
from koppontren.extensions import db
from koppontren.tenancy import services
from koppontren.tenancy.models import Cooperative
from koppontren.tenancy.scoping import get_scoped_or_404, scoped
from tests.helpers import login


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.mark.parametrize("slug", ["", "a_b", "-abc", "abc-", "login", "platform", "api", "a b", "x" * 41, "ünï"])
def test_bad_or_reserved_slugs_are_refused(build, slug):
    with pytest.raises(services.TenancyError) as err:
        services.create_cooperative(slug, "Koperasi")
    assert err.value.code == "invalid_slug"


def test_slugs_are_unique(build):
    build.coop("alhikmah")
    with pytest.raises(services.TenancyError) as err:
        services.create_cooperative("alhikmah", "Lain")
    assert err.value.code == "slug_taken"


def test_profile_defaults(build):
    coop = build.coop("alhikmah", legal_number="AHU-0001")
    assert (coop.fiscal_year_start_month, coop.currency_decimals, coop.locale) == (1, 0, "id")
    assert coop.legal_number == "AHU-0001"


@pytest.mark.parametrize("field, value", [("fiscal_year_start_month", 13), ("currency_decimals", 3), ("locale", "fr")])
def test_invalid_settings_are_refused(build, field, value):
    with pytest.raises(services.TenancyError) as err:
        services.create_cooperative("alhikmah", "Koperasi", **{field: value})
    assert err.value.code == "invalid_field"
    assert field in err.value.fields


def test_operator_lists_and_creates_a_cooperative_with_its_first_admin(client, build):
    build.user("operator", None, operator=True)
    build.coop("lama", "Koperasi Lama")
    login(client, "operator")
    assert "Koperasi Lama" in client.get("/platform/coops").get_data(as_text=True)
    response = client.post("/platform/coops/new", data={
        "slug": "darul-ulum", "name": "Koperasi Pondok Pesantren Darul Ulum", "pesantren_name": "PP Darul Ulum",
        "fiscal_year_start_month": "7", "currency_decimals": "0", "locale": "id",
        "admin_login": "ketua.du", "admin_name": "Kyai Ahmad", "admin_password": "ketua-rahasia-1",
    })
    assert response.status_code == 302
    coop = services.get_by_slug("darul-ulum")
    assert coop.fiscal_year_start_month == 7
    assert auth.roles_of(auth.get_user_by_login("ketua.du"), coop) == {auth.Role.ADMIN}
    assert _audit("coop.created")[-1].cooperative_id == coop.id
    client.post("/logout")
    login(client, "ketua.du", "ketua-rahasia-1")
    assert client.get("/darul-ulum/settings").status_code == 200


def test_creating_a_cooperative_with_a_taken_admin_login_writes_nothing(client, build):
    build.user("operator", None, operator=True)
    login(client, "operator")
    response = client.post("/platform/coops/new", data={
        "slug": "baru", "name": "Koperasi Baru", "fiscal_year_start_month": "1", "currency_decimals": "0",
        "locale": "id", "admin_login": "operator", "admin_name": "X", "admin_password": "panjang-sekali",
    })
    assert response.status_code == 200
    assert "sudah dipakai" in response.get_data(as_text=True)
    assert services.get_by_slug("baru") is None


def test_admin_changes_settings_and_the_change_is_audited(client, build):
    coop = build.coop("alhikmah")
    build.user("ketua", coop, "admin")
    login(client, "ketua")
    response = client.post("/alhikmah/settings", data={
        "name": "Kopontren Al-Hikmah", "pesantren_name": "PP Al-Hikmah", "legal_number": "AHU-123",
        "nik_koperasi": "3573010001", "address": "Jl. Pesantren 1, Malang",
        "fiscal_year_start_month": "1", "currency_decimals": "0", "locale": "id",
    })
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Cooperative, coop.id).name == "Kopontren Al-Hikmah"
    event = _audit("coop.updated")[-1]
    assert event.detail["changed"]["legal_number"] == "AHU-123"
    assert event.actor_id == auth.get_user_by_login("ketua").id


def test_settings_form_refuses_bad_values_with_a_message(client, build):
    build.user("ketua", build.coop("alhikmah"), "admin")
    login(client, "ketua")
    response = client.post("/alhikmah/settings", data={
        "name": "", "fiscal_year_start_month": "1", "currency_decimals": "5", "locale": "id",
    })
    assert response.status_code == 200
    assert "Harus 0, 1 atau 2." in response.get_data(as_text=True)


def test_admin_adds_a_user_and_changes_roles_with_audit_rows(client, build):
    coop = build.coop("alhikmah")
    build.user("ketua", coop, "admin")
    login(client, "ketua")
    response = client.post("/alhikmah/users", data={"login": "siti", "name": "Siti Aminah", "password": "sandi-siti-1", "role": "cashier"})
    assert response.status_code == 302
    siti = auth.get_user_by_login("siti")
    client.post(f"/alhikmah/users/{siti.id}/roles", data={"role": "treasurer", "action": "grant"})
    client.post(f"/alhikmah/users/{siti.id}/roles", data={"role": "cashier", "action": "revoke"})
    assert auth.roles_of(siti, coop) == {auth.Role.TREASURER}
    assert [e.detail["role"] for e in _audit("role.granted") if e.login == "siti"] == ["cashier", "treasurer"]
    assert [e.detail["role"] for e in _audit("role.revoked")] == ["cashier"]


def test_the_last_admin_cannot_be_removed(client, build):
    coop = build.coop("alhikmah")
    ketua = build.user("ketua", coop, "admin")
    login(client, "ketua")
    response = client.post(f"/alhikmah/users/{ketua.id}/roles", data={"role": "admin", "action": "revoke"}, follow_redirects=True)
    assert "Admin terakhir" in response.get_data(as_text=True)
    assert auth.roles_of(ketua, coop) == {auth.Role.ADMIN}


def test_scoped_queries_only_see_the_current_cooperative(build):
    from koppontren.auth.models import RoleAssignment

    a, b = build.coop("coop-a"), build.coop("coop-b")
    build.user("admin.x", a, "admin")
    build.user("admin.y", b, "admin")
    rows = db.session.scalars(scoped(RoleAssignment, a)).all()
    assert {r.cooperative_id for r in rows} == {a.id}
    foreign = db.session.scalars(scoped(RoleAssignment, b)).first()
    from werkzeug.exceptions import NotFound

    with pytest.raises(NotFound):
        get_scoped_or_404(RoleAssignment, foreign.id, a)
    assert get_scoped_or_404(RoleAssignment, foreign.id, b).id == foreign.id


def test_slugs_are_lower_cased(build):
    assert services.create_cooperative(" AlHikmah ", "Koperasi").slug == "alhikmah"
