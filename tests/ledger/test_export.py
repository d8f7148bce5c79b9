"""``koppontren export hledger``: hledger reads the file and agrees with the project on every balance."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from koppontren.ledger import queries
from koppontren.ledger.export import write_hledger
from koppontren.ledger.posting import LineSpec, post_entry, reverse
from koppontren.members.services import MemberData, register_member
from koppontren.savings import services as savings
from koppontren.shop import services as shop

needs_hledger = pytest.mark.skipif(shutil.which("hledger") is None, reason="Debian's hledger is not installed (.ci/run installs it)")


def _books(build):
    coop = build.coop("alhikmah")
    build.fund(coop, 1_000_000, date(2026, 1, 2))
    member = register_member(coop, MemberData(name="Siti; Aminah,  \"x\"", category="santri", join_date=date(2026, 1, 5)), actor=None)
    savings.deposit(coop, member, "sukarela", amount=Decimal(75_000), day=date(2026, 2, 1))
    supplier = shop.create_party(coop, kind="supplier", code="S1", name="CV Pemasok: Jaya")
    product = shop.create_product(coop, shop.ProductData(sku="P1", name="Sabun", price=Decimal(1_500)))
    shop.record_purchase(coop, party_id=supplier.id, items=[shop.PurchaseItem(product.id, 10, Decimal(1_000))], day=date(2026, 2, 2),
                         payment="credit")
    shop.record_sale(coop, items=[shop.SaleItem(product.id, 3)], payment="cash", day=date(2026, 2, 3))
    wrong = post_entry(coop, entry_date=date(2026, 2, 4), description="Biaya listrik\nsalah ketik ; komentar",
                       lines=[LineSpec("6101", debit=200_000, memo="memo: a;b"), LineSpec("1101", credit=200_000)])
    reverse(coop, wrong, entry_date=date(2026, 2, 5), description="Koreksi")
    post_entry(coop, entry_date=date(2026, 2, 6), description="Biaya listrik", lines=[LineSpec("6101", debit=20_000), LineSpec("1101", credit=20_000)])
    return coop


def test_the_journal_holds_every_entry_with_its_voucher_and_subledger(build):
    coop = _books(build)
    out = io.StringIO()
    count = write_hledger(coop, out)
    text = out.getvalue()
    assert count == 7  # the capital paid in, and six of the modules
    assert "(SP/2026/000001)" in text and 'member:A-0001 Siti Aminah "x"' in text  # no ';', ',' or double space leaks
    assert "party:S1 CV Pemasok- Jaya" in text
    assert "\n    1 ASET:11 Aset Lancar:1101 Kas Besar  IDR 75000" in text and "IDR -200000" in text and "reversal:yes" in text


@needs_hledger
def test_hledger_agrees_with_the_trial_balance_on_every_account(build, tmp_path):
    coop = _books(build)
    path = tmp_path / "alhikmah.journal"
    with path.open("w") as f:
        write_hledger(coop, f)
    theirs, ours = hledger_balances(path), project_balances(coop)
    assert theirs == ours
    assert len(ours) >= 6


def hledger_balances(path) -> dict[str, Decimal]:
    """Account code -> non-zero balance (rupiah, debit positive) as ``hledger balance`` reports it."""
    done = subprocess.run([shutil.which("hledger"), "-f", str(path), "balance", "--flat", "--no-total", "-O", "csv", "--empty"],
                          capture_output=True, text=True, check=True)
    theirs = {}
    for row in list(csv.reader(io.StringIO(done.stdout)))[1:]:
        code = row[0].rsplit(":", 1)[-1].split(" ", 1)[0]
        amount = row[1].replace("IDR", "").replace(",", "").strip() or "0"
        theirs[code] = Decimal(amount)
    return {c: v for c, v in theirs.items() if v}


def project_balances(coop) -> dict[str, Decimal]:
    """Account code -> non-zero balance (rupiah, debit positive) from the project's trial balance."""
    ours = {r.account.code: Decimal(r.net_debit) / 100 for r in queries.trial_balance(coop)}
    return {c: v for c, v in ours.items() if v}


def test_the_cli_writes_the_file(app, build, tmp_path):
    _books(build)
    from koppontren.extensions import db

    db.session.commit()
    result = app.test_cli_runner().invoke(args=["export", "hledger", "--coop", "alhikmah", "--out", str(tmp_path / "x.journal")])
    assert result.exit_code == 0, result.output
    assert "7 transactions written" in result.output and (tmp_path / "x.journal").read_text().count("\n20") == 7
    assert app.test_cli_runner().invoke(args=["export", "hledger", "--coop", "tidak-ada"]).exit_code == 1
