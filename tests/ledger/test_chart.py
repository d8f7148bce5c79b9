"""Chart of accounts: the default template, lookup by role, and what a treasurer may change."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from koppontren.ledger import chart
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.models import Account


def test_a_new_cooperative_gets_the_whole_default_chart(coop):
    rows = chart.template_rows()
    accounts = chart.accounts(coop)
    assert len(accounts) == len(rows) == 109
    assert {a.code for a in accounts} == {r["code"] for r in rows}
    kas = chart.account_by_code(coop, "1101")
    assert (kas.name_id, kas.type, kas.normal_balance, kas.postable, kas.cash_flow) == ("Kas Besar", "asset", "debit", True, "cash")
    assert chart.account_by_code(coop, "3101").subledger == "member"
    assert chart.account_by_code(coop, "11").postable is False
    assert chart.account_by_code(coop, "1101").parent_id == chart.account_by_code(coop, "11").id


def test_each_cooperative_has_its_own_chart(build, coop):
    other = build.coop("lain")
    assert chart.account_for(coop, "cash").id != chart.account_for(other, "cash").id
    assert chart.account_for(other, "cash").cooperative_id == other.id


def test_lookup_by_role(coop):
    assert chart.account_for(coop, "cash").code == "1101"
    assert chart.account_for(coop, "sales_shop_member").code == "4101"
    assert chart.account_for(coop, "shu_current").code == "3108"
    with pytest.raises(LedgerError) as err:
        chart.account_for(coop, "no_such_role")
    assert err.value.code == "unknown_account"


def test_treasurer_adds_a_postable_sub_account_under_a_header(coop, treasurer):
    account = chart.add_account(coop, parent_code="11", code="1104", name_id="Kas Unit Produksi", cash_flow="cash", actor=treasurer)
    assert (account.type, account.normal_balance, account.postable, account.statement_section) == ("asset", "debit", True, "aset_lancar")
    assert account.parent_id == chart.account_by_code(coop, "11").id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.created"))
    assert event.detail["code"] == "1104" and event.actor_id == treasurer.id


@pytest.mark.parametrize(
    "parent, code, code_err",
    [("1101", "11011", "unknown_account"), ("11", "1101", "duplicate_code"), ("11", "2101", "invalid_code"),
     ("11", "11", "invalid_code"), ("11", "11x", "invalid_code"), ("99", "991", "unknown_account")],
)
def test_bad_sub_accounts_are_refused(coop, treasurer, parent, code, code_err):
    before = db.session.scalar(select(func.count()).select_from(Account))
    with pytest.raises(LedgerError) as err:
        chart.add_account(coop, parent_code=parent, code=code, name_id="X", actor=treasurer)
    assert err.value.code == code_err
    assert db.session.scalar(select(func.count()).select_from(Account)) == before


def test_rename_keeps_code_and_type_and_is_audited(coop, treasurer):
    account = chart.account_by_code(coop, "1111")
    chart.rename_account(account, name_id="Bank Syariah Indonesia – Operasional", actor=treasurer)
    assert (account.code, account.type) == ("1111", "asset")
    assert account.name_id == "Bank Syariah Indonesia – Operasional"
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "account.renamed"))["new"].startswith("Bank Syariah")


def test_an_account_with_lines_can_be_deactivated_once_empty_but_never_deleted(coop, treasurer, build):
    build.fund(coop)
    from koppontren.ledger.posting import LineSpec, post_entry, reverse

    internet = chart.add_account(coop, parent_code="6", code="6110", name_id="Beban Internet", cash_flow="operating", actor=treasurer)
    spent = post_entry(coop, entry_date=date(2026, 3, 10), description="Internet Maret",
                       lines=[LineSpec("6110", debit=300_000), LineSpec("1101", credit=300_000)])
    with pytest.raises(LedgerError) as err:
        chart.delete_account(internet, actor=treasurer)
    assert err.value.code == "account_has_lines"
    with pytest.raises(LedgerError) as err:
        chart.set_active(internet, False, actor=treasurer)
    assert err.value.code == "account_in_use"  # still has a balance
    reverse(coop, spent, entry_date=date(2026, 3, 11), actor=treasurer)
    chart.set_active(internet, False, actor=treasurer)
    with pytest.raises(LedgerError) as err:
        post_entry(coop, entry_date=date(2026, 3, 12), description="x", lines=[LineSpec("6110", debit=1), LineSpec("1101", credit=1)])
    assert err.value.code == "inactive_account"
    chart.set_active(internet, True, actor=treasurer)
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("account.%activated")))] == [
        "account.deactivated", "account.activated"]


def test_accounts_the_modules_post_to_stay_active(coop, treasurer):
    with pytest.raises(LedgerError) as err:
        chart.set_active(chart.account_for(coop, "cash"), False, actor=treasurer)
    assert err.value.code == "account_in_use"


def test_a_new_account_under_a_header_without_cash_flow_category_must_name_one(coop, treasurer):
    with pytest.raises(LedgerError) as err:
        chart.add_account(coop, parent_code="6", code="6111", name_id="Beban Kebersihan", actor=treasurer)
    assert "cash_flow" in err.value.fields


def test_an_unused_added_account_can_be_deleted_but_a_seeded_one_cannot(coop, treasurer):
    added = chart.add_account(coop, parent_code="6", code="6110", name_id="Beban Internet", cash_flow="operating", actor=treasurer)
    chart.delete_account(added, actor=treasurer)
    assert chart.account_by_code(coop, "6110") is None
    with pytest.raises(LedgerError):
        chart.delete_account(chart.account_by_code(coop, "1102"), actor=treasurer)


def test_seeding_twice_adds_nothing(coop):
    assert chart.seed_chart(coop) == 0
