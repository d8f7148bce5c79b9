"""The cooperative's settings through the API: its profile, its officers and signing town, savings
settings, credit limits per category and the wallet's default limits — the same services and rules
as the settings pages, their permissions, bad input as 422 with fields, and nothing of another
cooperative."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from koppontren.savings import services as savings
from koppontren.shop import catalogue
from koppontren.tenancy import officers
from koppontren.wallet import limits as wallet_limits
from tests.api.conftest import Api

BOARD = [
    {"role": "ketua", "name": "KH. Ahmad Dahlan", "term_start": "2025-01-01", "term_end": "2029-12-31"},
    {"role": "sekretaris", "name": "Ustadz Hasan", "term_start": "2025-01-01"},
    {"role": "bendahara", "name": "Ibu Fatimah", "term_start": "2025-01-01", "term_end": None},
    {"role": "pengawas", "name": "H. Rahmat", "term_start": "2025-01-01"},
    {"role": "pengawas", "name": "Hj. Aisyah", "term_start": "2025-01-01"},
]


def put(api: Api, path: str, body):
    return api.client.put(api.url(path), data=json.dumps(body), content_type="application/json", headers=api.headers())


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["code"] == code
    return error


def _events(coop, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.cooperative_id == coop.id, AuditEvent.action == action)))


# --- officers ---------------------------------------------------------------------------------------------

def test_the_admin_replaces_the_officers_and_everyone_reads_them_back_in_the_same_shape(api_for, coop):
    admin = api_for("admin")
    r = put(admin, "/officers", {"officers": BOARD, "signing_town": "Kediri"})
    assert r.status_code == 200, r.get_json()
    expected = {"officers": [{**o, "term_end": o.get("term_end")} for o in BOARD], "signing_town": "Kediri"}
    assert r.get_json() == expected
    for role in ("admin", "treasurer", "cashier", "auditor", "member"):
        assert api_for(role).get("/officers").get_json() == expected
    # a second PUT replaces the list: a manajer joins, one pengawas leaves, the town is cleared
    board = [*BOARD[:4], {"role": "manajer", "name": "Pak Budi", "term_start": "2026-02-01"}]
    r = put(admin, "/officers", {"officers": board})
    assert [o["name"] for o in r.get_json()["officers"]] == ["KH. Ahmad Dahlan", "Ustadz Hasan", "Ibu Fatimah", "H. Rahmat", "Pak Budi"]
    assert r.get_json()["signing_town"] is None and coop.signing_town is None
    events = _events(coop, "coop.officers_changed")
    assert len(events) == 2
    assert "pengawas: Hj. Aisyah (2025-01-01–…)" in json.dumps(events[-1].detail, ensure_ascii=False)


@pytest.mark.parametrize("board, field, message", [
    ([o for o in BOARD if o["role"] != "ketua"], "officers", "tepat satu ketua"),
    ([*BOARD, {"role": "bendahara", "name": "Dua", "term_start": "2025-01-01"}], "officers", "tepat satu bendahara"),
    ([o for o in BOARD if o["role"] != "pengawas"], "officers", "paling sedikit satu pengawas"),
    ([*BOARD, *[{"role": "manajer", "name": f"M{i}", "term_start": "2025-01-01"} for i in (1, 2)]], "officers", "satu manajer"),
    ([{**BOARD[0], "term_end": "2024-12-31"}, *BOARD[1:]], "officers.1.term_end", "sebelum"),
    ([BOARD[0], {**BOARD[1], "name": "   "}, *BOARD[2:]], "officers.2.name", "Wajib"),
])
def test_a_board_that_breaks_the_rules_is_refused_whole_and_changes_nothing(api_for, coop, board, field, message):
    admin = api_for("admin")
    assert put(admin, "/officers", {"officers": BOARD, "signing_town": "Kediri"}).status_code == 200
    error = _error(put(admin, "/officers", {"officers": board, "signing_town": "Jombang"}), 422, "invalid_officers")
    assert message in error["fields"][field]
    assert [o.name for o in officers.officers_of(coop)] == [o["name"] for o in BOARD] and coop.signing_town == "Kediri"


@pytest.mark.parametrize("body, field", [
    ({"officers": [{"role": "raja", "name": "X", "term_start": "2025-01-01"}]}, "officers.1.role"),
    ({"officers": [{"role": "ketua", "name": "X"}]}, "officers.1.term_start"),
    ({"officers": [{"role": "ketua", "name": "X", "term_start": "31-12-2025"}]}, "officers.1.term_start"),
    ({"officers": [{"role": "ketua", "name": "X", "term_start": "2025-01-01", "gelar": "KH"}]}, "officers.1.gelar"),
    ({"signing_town": "Kediri"}, "officers"),
])
def test_officers_with_a_malformed_body_are_named_field_by_field(api_for, coop, body, field):
    error = _error(put(api_for("admin"), "/officers", body), 422, "validation_error")
    assert field in error["fields"]
    assert officers.officers_of(coop) == []


def test_only_the_admin_changes_officers_and_another_cooperative_sees_none(api_for, coop, client, other_coop):
    for role in ("treasurer", "cashier", "auditor", "member"):
        _error(put(api_for(role), "/officers", {"officers": BOARD}), 403, "forbidden")
    _other, token = other_coop
    foreign = Api(client, token, coop.slug)
    _error(foreign.get("/officers"), 404, "not_found")
    _error(put(foreign, "/officers", {"officers": BOARD}), 404, "not_found")
    assert officers.officers_of(coop) == []


# --- the cooperative's profile -------------------------------------------------------------------------------

def test_the_admin_patches_the_profile_field_by_field_and_the_rules_are_the_pages(api_for, coop):
    admin = api_for("admin")
    r = admin.patch("", {"address": "Jl. Pesantren 1, Kediri", "locale": "en"})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["address"], r.get_json()["locale"], r.get_json()["name"]) == ("Jl. Pesantren 1, Kediri", "en", coop.name)
    assert _events(coop, "coop.updated")[-1].detail["changed"] == {"address": "Jl. Pesantren 1, Kediri", "locale": "en"}
    error = _error(admin.patch("", {"books_start": "2999-01-01"}), 422, "invalid_field")
    assert "books_start" in error["fields"]
    error = _error(admin.patch("", {"fiscal_year_start_month": 13, "slug": "lain"}), 422, "validation_error")
    assert set(error["fields"]) == {"fiscal_year_start_month", "slug"}
    _error(api_for("treasurer").patch("", {"name": "Koperasi Lain"}), 403, "forbidden")
    assert coop.slug == "alhikmah" and coop.name != "Koperasi Lain"


# --- savings settings --------------------------------------------------------------------------------------

def test_the_treasurer_sets_the_savings_settings_as_the_page_does(api, coop):
    r = put(api, "/savings-settings", {"pokok_amount": "150000", "wajib_rates": {"santri": "15000", "ustadz": "30000"},
                                       "sukarela_earns_shu": True, "default_account": "1111",
                                       "member_numbering": {"prefix": "KOP-", "digits": 5}})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["pokok_amount"], body["wajib_rates"]["santri"], body["wajib_rates"]["karyawan"], body["sukarela_earns_shu"],
            body["default_account"], body["member_numbering"]) == ("150000", "15000", "0", True, "1111",
                                                                  {"prefix": "KOP-", "digits": 5})
    stored = savings.get_settings(coop)
    assert (stored.pokok_amount, stored.wajib_rate("ustadz"), stored.sukarela_earns_shu) == (15_000_000, 3_000_000, True)
    assert api.get("/savings-settings").get_json() == body


@pytest.mark.parametrize("body, status, field", [
    ({"pokok_amount": "-1", "wajib_rates": {}}, 422, "pokok_amount"),
    ({"pokok_amount": "100000", "wajib_rates": {"santri": 10000}}, 422, "wajib_rates.santri"),
    ({"pokok_amount": "100000", "wajib_rates": {"tamu": "1000"}}, 422, "wajib_rates.tamu"),
    ({"pokok_amount": "100000", "wajib_rates": {}, "default_account": "9999"}, 422, "default_account"),
    ({"pokok_amount": "100000", "wajib_rates": {}, "default_account": "4201"}, 422, "default_account"),
    ({"wajib_rates": {}}, 422, "pokok_amount"),
])
def test_bad_savings_settings_are_refused_and_change_nothing(api, coop, body, status, field):
    before = savings.get_settings(coop)
    r = put(api, "/savings-settings", body)
    assert r.status_code == status and field in r.get_json()["error"]["fields"], r.get_json()
    assert savings.get_settings(coop) == before


def test_savings_settings_are_the_treasurers_and_admins_only(api_for, coop, client, other_coop):
    body = {"pokok_amount": "1", "wajib_rates": {}}
    for role in ("cashier", "auditor", "member"):
        _error(put(api_for(role), "/savings-settings", body), 403, "forbidden")
    _error(put(Api(client, other_coop[1], coop.slug), "/savings-settings", body), 404, "not_found")
    assert savings.get_settings(coop).pokok_amount == 10_000_000


# --- credit limits and wallet limits ----------------------------------------------------------------------

def test_credit_limits_per_category_are_set_whole_a_category_left_out_is_zero(api, coop):
    catalogue.update_credit_limits(coop, {"pengurus": Decimal(9_000)})
    r = put(api, "/credit-limits", {"santri": "250000", "ustadz": "1000000"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"santri": "250000", "ustadz": "1000000", "karyawan": "0", "pengurus": "0", "alumni": "0", "masyarakat": "0"}
    assert catalogue.credit_limits(coop)["santri"] == 25_000_000
    assert api.get("/credit-limits").get_json() == r.get_json()
    error = _error(put(api, "/credit-limits", {"santri": "1.5", "tamu": "1"}), 422, "validation_error")
    assert set(error["fields"]) == {"tamu"}
    error = _error(put(api, "/credit-limits", {"santri": "1.555"}), 422, "validation_error")
    assert "santri" in error["fields"]
    _error(put(Api(api.client, None, coop.slug), "/credit-limits", {}), 401, "unauthorized")


def test_credit_limits_are_refused_to_a_cashier_and_to_another_cooperative(api_for, coop, client, other_coop):
    _error(put(api_for("cashier"), "/credit-limits", {"santri": "1"}), 403, "forbidden")
    _error(put(Api(client, other_coop[1], coop.slug), "/credit-limits", {"santri": "1"}), 404, "not_found")
    assert catalogue.credit_limits(coop)["santri"] == 0


def test_the_wallets_default_limits_and_exempt_categories(api, api_for, coop):
    r = put(api, "/wallet-settings", {"limit_daily": "20000", "limit_monthly": None, "exempt_categories": ["ustadz", "Ustadz "]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"limit_daily": "20000", "limit_weekly": None, "limit_monthly": None, "exempt_categories": ["ustadz"]}
    assert wallet_limits.get_settings(coop).limits.daily == 2_000_000
    _error(put(api, "/wallet-settings", {"limit_weekly": "-5"}), 422, "validation_error")
    _error(put(api_for("cashier"), "/wallet-settings", {}), 403, "forbidden")
    assert api.get("/wallet-settings").get_json() == r.get_json()
