"""Wallet services: top-ups and refunds and their journal entries, paying at the shop (member and
non-member revenue), cards, returns, bulk top-ups, reconciliation and the ``koppontren check`` item."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.posting import LineSpec, post_entry, reverse
from koppontren.members import services as members
from koppontren.operations import OperationConflict
from koppontren.shop import sale_contract
from koppontren.shop import services as shop
from koppontren.shop.models import Sale
from koppontren.wallet import services as wallet
from koppontren.wallet.errors import BulkRefusedError, WalletError
from koppontren.wallet.models import WalletTransaction
from tests.wallet.conftest import TODAY, buy


def lines_of(coop, entry_id) -> list[tuple[str, int, int, int | None]]:
    """(account code, debit sen, credit sen, member id) of an entry's lines, sorted."""
    entry = queries.get_entry(coop, entry_id)
    codes = {a.id: a.code for a in chart.accounts(coop)}
    return sorted((codes[ln.account_id], ln.debit, ln.credit, ln.member_id) for ln in entry.lines)


def code(coop, role: str) -> str:
    return chart.account_for(coop, role).code


def wallet_account_balance(coop) -> int:
    return queries.balance_of(coop, chart.account_for(coop, "santri_wallet"))


def tx_count(coop) -> int:
    return db.session.scalar(select(func.count()).select_from(WalletTransaction).where(WalletTransaction.cooperative_id == coop.id))


# --- top-ups and refunds ---------------------------------------------------------------------------

def test_a_bank_topup_debits_1112_and_credits_2113(coop, santri):
    tx = wallet.transactions(coop, santri)[0][0]
    assert (tx.kind, tx.method, tx.amount, tx.balance_after, tx.reference) == ("topup", "bank", 5_000_000, 5_000_000, "TRF-001")
    assert lines_of(coop, tx.entry_id) == [("1112", 5_000_000, 0, None), ("2113", 0, 5_000_000, None)]
    assert queries.get_entry(coop, tx.entry_id).number.startswith("KM/")
    assert wallet.get_by_nis(coop, "1001").balance == 5_000_000
    assert wallet_account_balance(coop) == 5_000_000
    assert check_cooperative(coop).ok


def test_a_cash_topup_debits_cash_and_a_refund_credits_where_it_goes(coop, santri, treasurer):
    cash = code(coop, "cash")
    tx = wallet.topup(coop, santri, amount=Decimal(20_000), method="cash", actor=treasurer)
    assert lines_of(coop, tx.entry_id) == sorted([(cash, 2_000_000, 0, None), ("2113", 0, 2_000_000, None)])
    out = wallet.refund(coop, santri, amount=Decimal(30_000), method="bank", reference="pulang", actor=treasurer)
    assert lines_of(coop, out.entry_id) == [("1112", 0, 3_000_000, None), ("2113", 3_000_000, 0, None)]
    assert (out.kind, out.balance_after, out.user_id) == ("refund", 4_000_000, treasurer.id)
    assert wallet.get_by_nis(coop, "1001").balance == 4_000_000
    assert check_cooperative(coop).ok


def test_a_refund_above_the_balance_is_refused_and_writes_nothing(coop, santri):
    before = tx_count(coop)
    with pytest.raises(WalletError) as err:
        wallet.refund(coop, santri, amount=Decimal(50_001), method="cash")
    assert err.value.code == "insufficient_balance" and "amount" in err.value.fields
    assert tx_count(coop) == before and wallet.get_by_nis(coop, "1001").balance == 5_000_000
    assert wallet_account_balance(coop) == 5_000_000


@pytest.mark.parametrize("amount, method, day, code_", [
    (Decimal(0), "cash", None, "invalid_amount"), (Decimal("-5"), "cash", None, "invalid_amount"),
    (Decimal("10.5"), "cash", None, "invalid_amount"), (Decimal("NaN"), "cash", None, "invalid_amount"),
    (1.5, "cash", None, "invalid_amount"), (Decimal(1000), "gopay", None, "invalid_method"),
    (Decimal(1000), "cash", date(2026, 12, 16), "future_date"),
])
def test_bad_topups_are_refused_with_a_field(coop, santri, amount, method, day, code_):
    before = tx_count(coop)
    with pytest.raises(WalletError) as err:
        wallet.topup(coop, santri, amount=amount, method=method, day=day)
    assert err.value.code == code_ and err.value.fields
    assert tx_count(coop) == before


def test_a_topup_with_the_same_key_is_recorded_once(coop, santri):
    first = wallet.topup(coop, santri, amount=Decimal(10_000), method="cash", idempotency_key="k-1")
    again = wallet.topup(coop, santri, amount=Decimal(10_000), method="cash", idempotency_key="k-1")
    assert again.id == first.id and wallet.get_by_nis(coop, "1001").balance == 6_000_000


def test_the_same_key_with_another_amount_or_method_is_a_conflict_and_writes_nothing(coop, santri):
    wallet.topup(coop, santri, amount=Decimal(10_000), method="cash", idempotency_key="k-1")
    before = tx_count(coop)
    for amount, method in ((Decimal(20_000), "cash"), (Decimal(10_000), "bank")):
        with pytest.raises(OperationConflict) as err:
            wallet.topup(coop, santri, amount=amount, method=method, idempotency_key="k-1")
        assert err.value.code == "idempotency_conflict"
    with pytest.raises(OperationConflict) as err:
        wallet.refund(coop, santri, amount=Decimal(10_000), method="cash", idempotency_key="k-1")
    assert err.value.code == "idempotency_conflict"
    assert wallet.get_by_nis(coop, "1001").balance == 6_000_000
    assert tx_count(coop) == before


def test_a_wallet_entry_cannot_be_reversed_in_the_ledger_nor_2113_posted_by_hand(coop, santri):
    tx = wallet.transactions(coop, santri)[0][0]
    with pytest.raises(LedgerError) as err:
        reverse(coop, queries.get_entry(coop, tx.entry_id))
    assert err.value.code == "wallet_entry"
    with pytest.raises(LedgerError) as err:
        post_entry(coop, entry_date=TODAY, description="tangan", lines=[LineSpec("1101", debit=1000), LineSpec("2113", credit=1000)])
    assert err.value.code == "module_only_account"
    assert check_cooperative(coop).ok


# --- paying at the shop ----------------------------------------------------------------------------

def test_a_wallet_sale_debits_2113_with_non_member_revenue(coop, santri, card, stocked, cashier):
    snack, _kitab = stocked
    sale = buy(coop, card, (snack, 2), actor=cashier)
    assert sale.payment == "wallet" and sale.member_id is None and sale.total == 1_000_000
    revenue, cogs = code(coop, "sales_shop_nonmember"), code(coop, "cogs_shop_nonmember")
    assert lines_of(coop, sale.entry_id) == sorted([("2113", 1_000_000, 0, None), (revenue, 0, 1_000_000, None),
                                                    (cogs, 600_000, 0, None), (code(coop, "inventory_shop"), 0, 600_000, None)])
    tx = wallet.transaction_of_sale(coop, sale.id)
    assert (tx.kind, tx.method, tx.amount, tx.balance_after, tx.limited_amount, tx.user_id) == (
        "purchase", "wallet", 1_000_000, 4_000_000, 1_000_000, cashier.id)
    assert tx.place == "Koperasi — kasir Ani Kasir"
    assert wallet.get_by_nis(coop, "1001").balance == 4_000_000
    assert check_cooperative(coop).ok


def test_a_santri_who_is_a_member_buys_at_member_prices_on_member_accounts(coop, santri, stocked, treasurer):
    _snack, kitab = stocked
    member = members.register_member(coop, members.MemberData(name="Ahmad Fauzi", category="santri", join_date=date(2026, 9, 1)),
                                     actor=None)
    wallet.update_santri(coop, santri, wallet.SantriData(nis="1001", name="Ahmad Fauzi", member_number=member.number), actor=treasurer)
    sale = buy(coop, santri.card_token, (kitab, 1))
    assert sale.member_id == member.id and sale.total == 1_800_000  # the member price
    revenue, cogs = code(coop, "sales_shop_member"), code(coop, "cogs_shop_member")
    assert lines_of(coop, sale.entry_id) == sorted([("2113", 1_800_000, 0, None), (revenue, 0, 1_800_000, member.id),
                                                    (cogs, 1_200_000, 0, member.id), (code(coop, "inventory_shop"), 0, 1_200_000, None)])
    # a member who left: the santri's purchases are non-member sales again
    members.mark_left(coop, members.get_member(coop, member.id), status="keluar", day=TODAY, reason="lulus")
    db.session.commit()
    later = buy(coop, santri.card_token, (kitab, 1))
    assert later.member_id is None and later.total == 2_000_000
    assert check_cooperative(coop).ok


def test_a_sale_above_the_balance_is_refused_and_writes_nothing(coop, santri, card, stocked):
    snack, kitab = stocked
    sales = db.session.scalar(select(func.count()).select_from(Sale))
    with pytest.raises(WalletError) as err:
        buy(coop, card, (kitab, 2), (snack, 3))  # 55.000 > 50.000
    assert err.value.code == "insufficient_balance" and "Rp50.000" in str(err.value.message)
    assert db.session.scalar(select(func.count()).select_from(Sale)) == sales
    assert wallet.get_by_nis(coop, "1001").balance == 5_000_000
    assert shop.get_product(coop, kitab.id).qty == 20


def test_a_wallet_sale_needs_a_card_and_no_customer(coop, santri, card, stocked):
    snack, _ = stocked
    with pytest.raises(WalletError) as err:
        buy(coop, None, (snack, 1))
    assert err.value.code == "invalid_field" and "card" in err.value.fields
    customer = shop.create_party(coop, kind="customer", code="C1", name="Pelanggan")
    with pytest.raises(shop.ShopError) as err:
        buy(coop, card, (snack, 1), party_id=customer.id)
    assert err.value.code == "invalid_payment"


def test_returning_a_wallet_sale_credits_the_wallet_back(coop, santri, card, stocked, cashier):
    snack, kitab = stocked
    sale = buy(coop, card, (snack, 2), (kitab, 1), actor=cashier)
    assert wallet.get_by_nis(coop, "1001").balance == 2_000_000
    assert wallet.spending(coop, wallet.get_by_nis(coop, "1001")).spent_today == 1_000_000  # the kitab is exempt
    ret = shop.record_sale_return(coop, sale.id, items=[shop.SaleItem(snack.id, 1), shop.SaleItem(kitab.id, 1)], actor=cashier)
    assert [ln for ln in lines_of(coop, ret.entry_id) if ln[0] == "2113"] == [("2113", 0, 2_500_000, None)]
    tx = wallet.transaction_of_sale(coop, ret.id)
    assert (tx.kind, tx.amount, tx.balance_after, tx.limited_amount, tx.limit_day) == ("return", 2_500_000, 4_500_000, 500_000, TODAY)
    santri = wallet.get_by_nis(coop, "1001")
    assert santri.balance == 4_500_000 and wallet.spending(coop, santri).spent_today == 500_000
    assert check_cooperative(coop).ok


def test_the_pos_request_takes_a_card_for_a_wallet_payment(coop, santri, card, stocked, cashier):
    snack, _ = stocked
    with pytest.raises(shop.ShopError) as err:
        sale_contract.parse({"lines": [{"product_id": snack.id, "quantity": 1}], "payment": "wallet"})
    assert err.value.code == "invalid_request" and "card" in err.value.fields
    req = sale_contract.parse({"lines": [{"product_id": snack.id, "quantity": 1}], "payment": "wallet", "card": f" {card} "})
    assert req.card == card
    order = sale_contract.resolve(coop, req)
    sale, replayed = sale_contract.sell(coop, order, actor=cashier, idempotency_key="pos-1")
    again, replayed_again = sale_contract.sell(coop, order, actor=cashier, idempotency_key="pos-1")
    assert (replayed, replayed_again, again.id) == (False, True, sale.id)
    assert wallet.get_by_nis(coop, "1001").balance == 4_500_000  # charged once


# --- cards -----------------------------------------------------------------------------------------

def test_a_blocked_card_is_refused_and_the_reissued_one_works(coop, santri, card, stocked, treasurer):
    snack, _ = stocked
    new = wallet.reissue_card(coop, santri, actor=treasurer)
    assert new.token != card and len(new.token) >= 32
    with pytest.raises(WalletError) as blocked:
        buy(coop, card, (snack, 1))
    sale = buy(coop, new.token, (snack, 1))
    assert sale.payment == "wallet"
    assert [c.status for c in wallet.cards_of(coop, santri)] == ["active", "blocked"]
    assert wallet.block_card(coop, santri, actor=treasurer) is True
    with pytest.raises(WalletError) as after_block:
        buy(coop, new.token, (snack, 1))
    assert blocked.value.code == after_block.value.code == "card_refused"


def test_an_unknown_token_is_refused_exactly_like_a_blocked_or_another_coops_card(coop, santri, card, stocked, build, treasurer):
    snack, _ = stocked
    other = build.coop("annur")
    theirs = wallet.create_santri(other, wallet.SantriData(nis="1001", name="Santri Lain"))
    their_card = wallet.issue_card(other, theirs)
    wallet.topup(other, theirs, amount=Decimal(90_000), method="cash")
    old = card
    wallet.reissue_card(coop, santri, actor=treasurer)
    closed = wallet.create_santri(coop, wallet.SantriData(nis="1002", name="Sudah Pulang"))
    closed_card = wallet.issue_card(coop, closed).token
    wallet.update_santri(coop, closed, wallet.SantriData(nis="1002", name="Sudah Pulang", active=False))
    answers = set()
    for token in (wallet.new_token(), old, their_card.token, closed_card, "x", "", "' OR 1=1 --"):
        with pytest.raises(WalletError) as err:
            buy(coop, token, (snack, 1))
        answers.add((err.value.code, str(err.value.message), tuple((k, str(v)) for k, v in err.value.fields.items())))
        with pytest.raises(WalletError):
            wallet.find_by_token(coop, token)
    assert len(answers) == 1 and next(iter(answers))[0] == "card_refused"
    assert wallet.get_santri(other, theirs.id).balance == 9_000_000


def test_the_database_keeps_only_the_cards_token_hash(coop, santri, card, treasurer):
    """A copy of the database (a backup, a leaked dump) holds no token that pays: only its SHA-256."""
    new = wallet.reissue_card(coop, santri, actor=treasurer)
    db.session.commit()
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM wallet_card")).mappings().all()
    assert "token" not in rows[0] and len(rows) == 2
    dump = repr([dict(r) for r in rows])
    assert card not in dump and new.token not in dump
    assert {r["token_hash"] for r in rows} == {hashlib.sha256(t.encode()).hexdigest() for t in (card, new.token)}
    with pytest.raises(WalletError) as err:  # the hash itself, typed or scanned, is no card
        wallet.find_by_token(coop, rows[1]["token_hash"])
    assert err.value.code == "card_refused"
    assert wallet.find_by_token(coop, f"  {new.token}\n").id == santri.id  # a scanner's Enter and spaces around it


def test_issue_refuses_a_second_active_card(coop, santri):
    with pytest.raises(WalletError) as err:
        wallet.issue_card(coop, santri)
    assert err.value.code == "card_exists"
    baru = wallet.create_santri(coop, wallet.SantriData(nis="1003", name="Baru"))
    cards = wallet.issue_cards(coop, [santri.id, baru.id])
    assert list(cards) == [baru.id]  # only the new card: the one to print
    assert wallet.find_by_token(coop, cards[baru.id].token).id == baru.id


# --- santri ----------------------------------------------------------------------------------------

def test_santri_nis_is_unique_per_cooperative_and_import_is_all_or_nothing(coop, santri, build):
    with pytest.raises(WalletError) as err:
        wallet.create_santri(coop, wallet.SantriData(nis="1001", name="Kembar"))
    assert err.value.code == "duplicate_nis"
    wallet.create_santri(build.coop("annur"), wallet.SantriData(nis="1001", name="Di Koperasi Lain"))
    rows = [wallet.SantriData(nis="2001", name="Satu"), wallet.SantriData(nis="1001", name="Sudah Ada"),
            wallet.SantriData(nis="2002", name=""), wallet.SantriData(nis="2001", name="Dua Kali"),
            wallet.SantriData(nis="2003", name="Anggota?", member_number="A-9999")]
    with pytest.raises(BulkRefusedError) as err:
        wallet.import_santri(coop, rows)
    assert [p.row for p in err.value.problems] == [2, 3, 4, 5]
    assert wallet.get_by_nis(coop, "2001") is None
    created = wallet.import_santri(coop, [wallet.SantriData(nis="2001", name="Satu", kelas="8B")])
    assert [s.nis for s in created] == ["2001"] and wallet.list_santri(coop, text="satu")[1] == 1


def test_a_wallet_with_money_cannot_be_closed(build, coop, santri):
    build.fund(coop, 1_000_000, date(2026, 12, 1))  # Kas Besar pays the refund (the top-up came by bank)
    with pytest.raises(WalletError) as err:
        wallet.update_santri(coop, santri, wallet.SantriData(nis="1001", name="Ahmad Fauzi", active=False))
    assert err.value.code == "not_empty"
    wallet.refund(coop, santri, amount=Decimal(50_000), method="cash")
    assert wallet.update_santri(coop, santri, wallet.SantriData(nis="1001", name="Ahmad Fauzi", active=False)).active is False
    with pytest.raises(WalletError) as err:
        wallet.topup(coop, santri, amount=Decimal(1_000), method="cash")
    assert err.value.code == "not_active"


def test_wali_are_linked_and_see_only_their_santri(coop, santri, build, treasurer):
    user, password = wallet.create_wali(coop, santri, login="wali.ahmad", name="Bapak Ahmad", actor=treasurer)
    assert password and user.must_change_password
    from koppontren.auth import services as auth

    assert "wali" in {r.value for r in auth.roles_of(user, coop)}
    other = wallet.create_santri(coop, wallet.SantriData(nis="1004", name="Adik"))
    assert [s.nis for s in wallet.santri_of_wali(coop, user)] == ["1001"]
    wallet.link_wali(coop, other, user)
    assert [s.nis for s in wallet.santri_of_wali(coop, user)] == ["1004", "1001"] or \
        sorted(s.nis for s in wallet.santri_of_wali(coop, user)) == ["1001", "1004"]
    with pytest.raises(WalletError) as err:
        wallet.link_wali(coop, other, user)
    assert err.value.code == "already_linked"
    wallet.unlink_wali(coop, other, user)
    assert not wallet.is_wali_of(coop, user, other) and wallet.is_wali_of(coop, user, santri)
    assert [u.login for u in wallet.walis_of(coop, santri)] == ["wali.ahmad"]


# --- bulk top-ups ----------------------------------------------------------------------------------

def test_bulk_topups_are_all_or_nothing_with_a_problem_per_row(coop, santri, treasurer):
    second = wallet.create_santri(coop, wallet.SantriData(nis="1002", name="Zainab"))
    rows = [wallet.TopupRow(1, "1001", Decimal(25_000), date(2026, 12, 14), "TRF-101"),
            wallet.TopupRow(2, "9999", Decimal(10_000), date(2026, 12, 14), "TRF-102"),
            wallet.TopupRow(3, "1002", Decimal(0), date(2026, 12, 14), "TRF-103"),
            wallet.TopupRow(4, "1002", Decimal(10_000), date(2026, 12, 14), "TRF-001"),  # already recorded (the fixture's)
            wallet.TopupRow(5, "1002", Decimal(10_000), date(2026, 12, 16), "TRF-105"),
            wallet.TopupRow(6, "1002", Decimal(10_000), date(2026, 12, 14), "TRF-101")]  # twice in the file
    before = tx_count(coop)
    with pytest.raises(BulkRefusedError) as err:
        wallet.bulk_topups(coop, rows, actor=treasurer)
    assert [p.row for p in err.value.problems] == [2, 3, 4, 5, 6]
    assert err.value.code == "bulk_refused" and set(err.value.fields) == {"rows.2", "rows.3", "rows.4", "rows.5", "rows.6"}
    assert tx_count(coop) == before and wallet.get_by_nis(coop, "1001").balance == 5_000_000
    good = [wallet.TopupRow(1, "1001", Decimal(25_000), date(2026, 12, 14), "TRF-101"),
            wallet.TopupRow(2, "1002", Decimal(10_000), date(2026, 12, 14), "TRF-102"),
            wallet.TopupRow(3, "1002", Decimal(5_000), date(2026, 12, 15), "TRF-103")]
    txs = wallet.bulk_topups(coop, good, actor=treasurer)
    assert [t.amount for t in txs] == [2_500_000, 1_000_000, 500_000]
    assert len({t.entry_id for t in txs}) == 2  # one entry per date
    assert lines_of(coop, txs[0].entry_id) == [("1112", 3_500_000, 0, None), ("2113", 0, 1_000_000, None), ("2113", 0, 2_500_000, None)]
    assert wallet.get_by_nis(coop, "1001").balance == 7_500_000 and wallet.get_santri(coop, second.id).balance == 1_500_000
    assert check_cooperative(coop).ok


# --- reconciliation, check, daily report ------------------------------------------------------------

def test_reconciliation_balances_2113_against_1112_and_transfers_in_transit(coop, santri, treasurer):
    wallet.topup(coop, santri, amount=Decimal(20_000), method="cash", actor=treasurer)
    r = wallet.reconciliation(coop)
    assert (r.balances_total, r.wallet_account, r.bank_account, r.in_transit) == (7_000_000, 7_000_000, 5_000_000, 0)
    assert (r.subledger_difference, r.difference, r.ok) == (0, 2_000_000, False)
    item = wallet.record_in_transit(coop, day=TODAY, amount=Decimal(20_000), description="Setoran tunai belum disetor ke bank",
                                    actor=treasurer)
    r = wallet.reconciliation(coop)
    assert (r.in_transit, r.difference, r.ok, [i.id for i in r.open_items]) == (2_000_000, 0, True, [item.id])
    wallet.clear_in_transit(coop, item.id, actor=treasurer)
    assert wallet.reconciliation(coop).in_transit == 0
    with pytest.raises(WalletError) as err:
        wallet.clear_in_transit(coop, item.id)
    assert err.value.code == "already_cleared"
    assert wallet.reconciliation(coop, as_of=date(2026, 12, 14)).balances_total == 0


def test_koppontren_check_flags_a_wallet_balance_that_disagrees_with_2113(coop, santri):
    assert check_cooperative(coop).ok
    db.session.execute(text("UPDATE santri SET balance = balance + 100 WHERE id = :id"), {"id": santri.id})
    db.session.commit()
    report = check_cooperative(coop)
    wallet_check = next(r for r in report.results if r.name == "santri wallets equal 2113")
    assert not report.ok and not wallet_check.ok
    assert any("2113" in p for p in wallet_check.problems) and any("santri 1001" in p for p in wallet_check.problems)


def test_the_daily_report_sums_each_cashiers_wallet_work(coop, santri, card, stocked, cashier, treasurer, build):
    snack, _ = stocked
    other = build.user("kasir2", coop, "cashier", name="Citra Kasir")
    buy(coop, card, (snack, 1), actor=cashier)
    s2 = buy(coop, card, (snack, 2), actor=cashier)
    buy(coop, card, (snack, 1), actor=other)
    shop.record_sale_return(coop, s2.id, items=[shop.SaleItem(snack.id, 1)], actor=cashier)
    wallet.refund(coop, santri, amount=Decimal(5_000), method="cash", actor=treasurer)
    report = {c.name: c for c in wallet.daily_report(coop, TODAY)}
    ani, citra, budi = report["Ani Kasir"], report["Citra Kasir"], report["Budi Bendahara"]
    assert (ani.purchases_count, ani.purchases_total, ani.returns_count, ani.returns_total) == (2, 1_500_000, 1, 500_000)
    assert (citra.purchases_count, citra.purchases_total) == (1, 500_000)
    assert (budi.topups_count, budi.topups_total, budi.refunds_count, budi.refunds_total) == (1, 5_000_000, 1, 500_000)
    assert wallet.daily_report(coop, date(2026, 12, 14)) == []
