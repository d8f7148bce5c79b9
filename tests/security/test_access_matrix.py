"""The access-control matrix (reliability and security §3): every route of ``app.url_map`` is called
as an anonymous visitor, as each role of the cooperative, as an admin of another cooperative and as
a platform operator without a role, with GET and POST, and must answer what ``EXPECTED`` says.
A new route without a line in ``EXPECTED`` fails ``test_every_route_has_an_expectation``.

``EXPECTED`` names who may use each endpoint: letters of the roles (A admin, T treasurer, C cashier,
U auditor/pengawas, M member, W wali santri), or ``public``, ``login`` (any logged-in person) or ``operator``;
``api:`` before the letters marks a JSON API operation, called with each role's bearer token.
Everyone else gets 403 inside the cooperative, 404 from another cooperative (its pages don't exist
for them); an anonymous visitor is sent to the login page, or gets 401 from the API (so does the
operator, who holds no token of the cooperative — and a logged-in browser session opens no API
route). Refused POSTs are sent with the forms' fields empty; allowed POSTs are not sent here (they
would act) — each module's tests post them.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import login
from tests.tenancy.test_isolation import SAMPLE_ARGS, two_coops  # noqa: F401  - the fixture is used by name

ROLE_LETTERS = {"A": "admin", "T": "treasurer", "C": "cashier", "U": "auditor", "M": "member", "W": "wali"}
WHO = ["anonymous", "A", "T", "C", "U", "M", "W", "other_coop", "operator"]

EXPECTED = {
    "api.check": "api:ATU",
    "api.list_audit_events": "api:AU",
    "api.close_period": "api:A",
    "api.approve_shu": "api:AT",
    "api.close_year": "api:A",
    "api.compute_shu": "api:AT",
    "api.create_member": "api:AT",
    "api.create_party": "api:AT",
    "api.create_product": "api:AT",
    "api.create_purchase": "api:AT",
    "api.create_sale": "api:ATC",
    "api.create_sale_return": "api:ATC",
    "api.deposit": "api:ATC",
    "api.exit_member": "api:AT",
    "api.get_account": "api:ATU",
    "api.get_coop": "api:ATCUMW",
    "api.get_journal_entry": "api:ATU",
    "api.create_cash_transfer": "api:AT",
    "api.list_cash_transfers": "api:ATU",
    "api.get_cash_transfer": "api:ATU",
    "api.arrive_cash_transfer": "api:AT",
    "api.get_member": "api:ATCU",
    "api.get_product": "api:ATCU",
    "api.get_report": "api:ATU",
    "api.get_shu_rules": "api:ATU",
    "api.get_shu_run": "api:ATU",
    "api.list_accounts": "api:ATU",
    "api.list_journal_entries": "api:ATU",
    "api.list_members": "api:ATCU",
    "api.list_parties": "api:ATCU",
    "api.list_products": "api:ATCU",
    "api.member_savings": "api:ATCU",
    "api.openapi_document": "public",
    "api.patch_member": "api:AT",
    "api.patch_product": "api:AT",
    "api.pay_receivable": "api:ATC",
    "api.pay_shu": "api:AT",
    "api.pay_supplier": "api:AT",
    "api.post_journal_entry": "api:AT",
    "api.post_opening_balances": "api:AT",
    "api.put_shu_rules": "api:AT",
    "api.reopen_period": "api:A",
    "api.reverse_journal_entry": "api:AT",
    "api.stock_card": "api:ATCU",
    "api.stock_count": "api:AT",
    "api.transactions": "api:ATCU",
    "api.withdraw": "api:ATC",
    "api.list_wallets": "api:ATCU",
    "api.create_wallet": "api:AT",
    "api.get_wallet": "api:ATCU",
    "api.wallet_transactions": "api:ATCU",
    "api.wallet_topup": "api:AT",
    "api.wallet_refund": "api:AT",
    "api.patch_coop": "api:A",
    "api.get_officers": "api:ATCUMW",
    "api.put_officers": "api:A",
    "api.get_savings_settings": "api:AT",
    "api.put_savings_settings": "api:AT",
    "api.collect_wajib": "api:ATC",
    "api.get_credit_limits": "api:AT",
    "api.put_credit_limits": "api:AT",
    "api.get_wallet_settings": "api:AT",
    "api.put_wallet_settings": "api:AT",
    "api.create_account": "api:AT",
    "api.patch_account": "api:AT",
    "api.list_users": "api:A",
    "api.create_user": "api:A",
    "api.put_user_roles": "api:A",
    "api.patch_user": "api:A",
    "api.unlock_user": "api:A",
    "api.issue_card": "api:AT",
    "api.block_card": "api:AT",
    "api.replace_card": "api:AT",
    "api.issue_card_batch": "api:AT",
    "api.put_santri_limits": "api:AT",
    "api.patch_wallet": "api:AT",
    "api.link_wali": "api:AT",
    "api.unlink_wali": "api:AT",
    "api.record_transit": "api:AT",
    "api.clear_transit": "api:AT",
    "api.create_purchase_return": "api:AT",
    "api.close_cashier_day": "api:ATC",
    "api.settle_consignor": "api:AT",
    "api.consignment_moves": "api:AT",
    "api.put_product_consignment": "api:AT",
    "audit.log": "AU",
    "audit.export_csv": "AU",
    "audit.export_xlsx": "AU",
    "auth.change_password": "login",
    "auth.confirm_password": "login",
    "auth.login": "public",
    "auth.logout": "login",
    "ledger.account_ledger": "ATU",
    "ledger.accounts": "ATU",
    "ledger.add_account": "AT",
    "ledger.close_month": "A",
    "ledger.close_year": "A",
    "ledger.entry": "ATU",
    "cashbank.transfers": "ATU",
    "cashbank.new_transfer": "AT",
    "cashbank.arrive": "AT",
    "ledger.journal": "ATU",
    "ledger.new_journal": "AT",
    "ledger.opening_balances": "AT",
    "ledger.opening_template": "AT",
    "ledger.opening_template_xlsx": "AT",
    "ledger.periods_page": "ATU",
    "ledger.rename_account": "AT",
    "ledger.reopen_month": "A",
    "ledger.reverse_entry": "AT",
    "ledger.set_account_active": "AT",
    "ledger.trial_balance": "ATU",
    "members.create_login": "AT",
    "members.edit_member": "AT",
    "members.import_members": "AT",
    "members.import_template_csv": "AT",
    "members.import_template_xlsx": "AT",
    "members.login_slip_pdf": "AT",
    "members.member": "ATCU",
    "members.new_member": "AT",
    "members.register": "ATCU",
    "members.reset_login": "AT",
    "platform.coops": "operator",
    "platform.new_coop": "operator",
    "portal.home": "M",
    "portal.kwitansi": "M",
    "portal.passbook": "M",
    "portal.shu_slip": "M",
    "savings.arrears_report": "ATCU",
    "savings.bulk_wajib": "ATC",
    "savings.deposit": "ATC",
    "savings.exit_member": "AT",
    "savings.kwitansi": "ATCU",
    "savings.passbook": "ATCU",
    "savings.settings_page": "AT",
    "savings.transaction": "ATCU",
    "savings.withdraw": "ATC",
    "shop.consignment": "ATCU",
    "shop.consignment_product": "AT",
    "shop.consignment_receive": "AT",
    "shop.consignment_settle": "AT",
    "shop.daily_close": "ATC",
    "shop.edit_product": "AT",
    "shop.import_products": "AT",
    "shop.import_products_template_csv": "AT",
    "shop.import_products_template_xlsx": "AT",
    "shop.new_party": "AT",
    "shop.new_product": "AT",
    "shop.new_purchase": "AT",
    "shop.parties": "ATCU",
    "shop.party": "ATCU",
    "shop.pay_receivable": "ATC",
    "shop.pay_customer_receivable": "ATC",
    "shop.pay_supplier": "AT",
    "shop.pos": "ATC",
    "shop.pos_members": "ATC",
    "shop.pos_products": "ATC",
    "shop.pos_sale": "ATC",
    "shop.products": "ATCU",
    "shop.purchase": "ATCU",
    "shop.purchases": "ATCU",
    "shop.receipt": "ATCU",
    "shop.receipt_pdf": "ATCU",
    "shop.receivable_kwitansi": "ATCU",
    "shop.receivables": "ATC",
    "shop.return_purchase": "AT",
    "shop.sale": "ATCU",
    "shop.sale_return": "ATC",
    "shop.sales": "ATCU",
    "shop.settings": "AT",
    "shop.stock_card": "ATCU",
    "shop.stock_count": "AT",
    "shu.approve": "AT",
    "shu.compute": "AT",
    "shu.distribution_pdf": "ATU",
    "shu.distribution_xlsx": "ATU",
    "shu.index": "ATU",
    "shu.member_slip_pdf": "ATU",
    "shu.pay": "AT",
    "shu.review": "ATU",
    "shu.rules": "ATU",
    "shu.slips_pdf": "ATU",
    "site.healthz": "public",
    "site.favicon": "public",
    "site.index": "public",
    "site.set_language": "public",
    "statements.index": "ATU",
    "statements.integrity": "ATU",
    "statements.rat_pack": "ATU",
    "statements.rat_pack_pdf": "ATU",
    "statements.rat_pack_xlsx": "ATU",
    "statements.report_page": "ATU",
    "statements.report_pdf": "ATU",
    "statements.report_xlsx": "ATU",
    "tenancy.dashboard": "ATCUMW",
    "tenancy.settings": "A",
    "tenancy.officers": "A",
    "users.api_tokens": "ATCU",
    "users.change_role": "A",
    "users.reset_password": "A",
    "users.set_user_active": "A",
    "users.revoke_api_token": "ATCU",
    "users.unlock_user": "A",
    "users.users": "A",
    "wallet.block_card": "AT",
    "wallet.cards_page": "AT",
    "wallet.clear_transit": "AT",
    "wallet.daily_report": "ATCU",
    "wallet.edit_santri": "AT",
    "wallet.import_santri": "AT",
    "wallet.import_statement": "AT",
    "wallet.import_template_csv": "AT",
    "wallet.import_template_xlsx": "AT",
    "wallet.issue_card": "AT",
    "wallet.issue_missing_cards": "AT",
    "wallet.link_wali": "AT",
    "wallet.new_santri": "AT",
    "wallet.print_cards": "AT",
    "wallet.reconciliation": "ATU",
    "wallet.record_transit": "AT",
    "wallet.refund": "AT",
    "wallet.reissue_class_cards": "AT",
    "wallet.santri_detail": "ATCU",
    "wallet.santri_limits": "AT",
    "wallet.santri_list": "ATCU",
    "wallet.settings_page": "AT",
    "wallet.statement_template_csv": "AT",
    "wallet.topup": "AT",
    "wallet.unlink_wali": "AT",
    "wallet.wali_slip_pdf": "AT",
    "wallet_portal.home": "W",
    "wallet_portal.santri": "W",
    "wallet_portal.set_limits": "W",
}


#: Allowed GETs whose sample row does not exist in the fixture (they answer 404 to everyone), and why
NO_SAMPLE_ROW = {"portal.shu_slip": "the fixture's 2026 SHU is computed, not approved: no member has a slip yet",
                 "wallet_portal.santri": "the matrix's wali is linked to no santri: santri 1 is not theirs (404, like any other's)"}

#: API path parameters, filled with the rows the isolation fixture creates in coop-a
API_ARGS = {"coop": "coop-a", "nis": "1001", "code": "1101", "kind": "sukarela", "sku": "P1", "year": "2026", "month": "3", "report": "balance-sheet",
            "name": "balance-sheet", "login": "admin.a", "id": "1"}


def _rules(app):
    return [r for r in app.url_map.iter_rules() if not r.endpoint.endswith("static")]


def _path(rule, slug: str = "coop-a") -> str:
    path = rule.rule.replace("<coop_slug>", slug)
    if path.startswith("/api/"):
        def api_arg(m):
            name = m.group(1)
            if name == "number":
                return ("A-0001" if "/members/" in path else "1001" if "/santri/" in path else "PJ/2026/000001" if "/sales/" in path
                        else "PB/2026/000001" if "/purchases/" in path
                        else "MK/2026/000001" if "/cash-transfers/" in path else "JU/2026/000001")
            return API_ARGS[name]
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", api_arg, path)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE_ARGS[m.group(1)], path)


def test_every_route_has_an_expectation(app):
    endpoints = {r.endpoint for r in _rules(app)}
    assert sorted(endpoints - EXPECTED.keys()) == [], "add the new routes to EXPECTED"
    assert sorted(EXPECTED.keys() - endpoints) == [], "remove routes that no longer exist"


def _allowed(who: str, expected: str) -> bool:
    expected = expected.removeprefix("api:")
    if expected == "public":
        return True
    if expected == "login":
        return who != "anonymous"
    if expected == "operator":
        return who == "operator"
    return who in ROLE_LETTERS and who in expected


def _log_in(client, build, coops, who: str) -> dict:
    """Log the visitor in; returns the headers of their API token in coop-a's paths (none for the
    anonymous visitor and the operator; another cooperative's admin brings their own cooperative's)."""
    from koppontren.auth import tokens
    from koppontren.auth.services import get_user_by_login

    a, b = coops
    if who == "anonymous":
        return {}
    if who == "other_coop":
        login(client, "admin.b")
        return {"Authorization": "Bearer " + tokens.create_token(b, get_user_by_login("admin.b"))[1]}
    elif who == "operator":
        login(client, "operator")
        return {}
    elif who == "M":  # the member of sample id 1, so the portal shows their own records
        from koppontren.auth.services import get_user_by_login
        from koppontren.extensions import db
        from koppontren.members.models import Member

        db.session.get(Member, 1).user_id = get_user_by_login("anggota.a").id
        db.session.commit()
        login(client, "anggota.a")
        return {"Authorization": "Bearer " + tokens.create_token(a, get_user_by_login("anggota.a"))[1]}
    user = build.user(f"user.{who.lower()}", a, ROLE_LETTERS[who])
    login(client, f"user.{who.lower()}")
    return {"Authorization": "Bearer " + tokens.create_token(a, user)[1]}


@pytest.mark.parametrize("who", WHO)
def test_every_route_answers_each_kind_of_visitor_as_expected(client, app, build, two_coops, who):  # noqa: F811
    token = _log_in(client, build, two_coops, who)
    wrong = []
    for rule in _rules(app):
        expected = EXPECTED[rule.endpoint]
        api = expected.startswith("api:")
        in_coop = "coop_slug" in rule.arguments or "coop" in rule.arguments
        path = _path(rule)
        if rule.endpoint == "auth.logout":
            continue  # it would end this visitor's session: tests/auth covers it
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            if method not in rule.methods:
                continue
            allowed = _allowed(who, expected)
            if allowed and method != "GET":
                continue
            if api:
                status = client.open(path, method=method, headers=token, json={} if method != "GET" else None).status_code
                if not token:
                    ok = status == 401
                elif who == "other_coop":
                    ok = status == 404
                else:
                    ok = status == 200 if allowed else status == 403
            else:
                status = client.open(path, method=method).status_code
                if who == "anonymous" and expected != "public":
                    ok = status == 302
                elif in_coop and who in ("other_coop", "operator"):
                    ok = status == 404
                elif allowed:
                    ok = status in (200, 302) or (status == 404 and rule.endpoint in NO_SAMPLE_ROW)
                else:
                    ok = status == 403
            if not ok:
                wrong.append(f"{method} {path} ({rule.endpoint}, {expected}): {status}")
    assert wrong == []


def test_a_browser_session_opens_no_api_route(client, app, build, two_coops):  # noqa: F811
    """The API takes bearer tokens only: a logged-in admin's session cookie (which a forged
    cross-site request would carry) is worth nothing there."""
    _log_in(client, build, two_coops, "A")
    for rule in _rules(app):
        if EXPECTED[rule.endpoint].startswith("api:") and "GET" in rule.methods:
            assert client.get(_path(rule)).status_code == 401, rule.rule
