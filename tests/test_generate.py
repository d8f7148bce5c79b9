"""``koppontren generate``: realistic, clean, deterministic cooperatives (issue 10)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from koppontren import generate
from koppontren.extensions import db
from koppontren.ledger import queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.shop.models import Sale
from koppontren.shu import services as shu
from koppontren.tenancy import services as tenancy
from tests.conftest import empty_database
from tests.ledger.test_export import hledger_balances, needs_hledger, project_balances


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, **kw: runner.invoke(args=list(args), **kw)


def _fingerprint(coop) -> tuple:
    """What two identical ledgers share: the chain head and every account's totals."""
    totals = queries.account_totals(coop)
    codes = {r.account.id: r.account.code for r in queries.trial_balance(coop)}
    return queries.chain_head(coop), sorted((codes[i], d, c) for i, (d, c) in totals.items())


def test_generated_cooperative_passes_check_and_has_every_kind_of_activity(cli, app_ctx):
    result = cli("generate", "--coops", "1", "--members", "8", "--years", "1", "--seed", "3")
    assert result.exit_code == 0, result.output
    coop = tenancy.get_by_slug("gen-1")
    report = check_cooperative(coop)
    assert report.ok, [(r.name, r.problems[:3]) for r in report.results if not r.ok]
    member_sales = db.session.scalar(select(func.count()).where(Sale.cooperative_id == coop.id, Sale.member_id.is_not(None)))
    other_sales = db.session.scalar(select(func.count()).where(Sale.cooperative_id == coop.id, Sale.member_id.is_(None)))
    assert member_sales > 0 and other_sales > 0
    year = generate.plan_days(generate.Options(1, 8, 1, 3))[1].year
    run = shu.get_run(coop, year)
    assert run is not None and run.status != "draft"  # computed, approved at the RAT
    assert len(shu.payouts_of(coop, run)) == shu.share_count(coop, run) > 0  # and paid
    from koppontren.ledger.periods import fiscal_year_status

    assert all(m.closed for m in fiscal_year_status(coop, year))
    entries, _head = queries.chain_head(coop)
    lines = queries.line_count(coop)
    assert re.search(rf"{entries:,} entries, {lines:,} lines", result.output)


def test_same_seed_same_ledger(app):
    options = generate.Options(coops=1, members=5, years=1, seed=11)
    prints = []
    for _ in range(2):
        empty_database(app)
        with app.app_context():
            generate.generate(options)
            coop = tenancy.get_by_slug("gen-1")
            prints.append(_fingerprint(coop))
            db.session.rollback()
    assert prints[0][0][0] > 100  # entries: a real ledger, not two empty ones
    assert prints[0] == prints[1]


@pytest.mark.parametrize("args, text", [
    (["--coops", "0", "--members", "5", "--years", "1", "--seed", "1"], "--coops must be between 1"),
    (["--coops", "1", "--members", "0", "--years", "1", "--seed", "1"], "--members must be between 1"),
    (["--coops", "1", "--members", "5", "--years", "11", "--seed", "1"], "--years must be between 1 and 10"),
    (["--coops", "1", "--members", "5", "--years", "1", "--seed", "-1"], "--seed must be 0 or more"),
    (["--coops", "1", "--members", "5", "--years", "1", "--seed", "1", "--lines-target", "5"], "--lines-target must be between"),
    (["--coops", "1", "--members", "5", "--years", "1", "--seed", "1", "--slug-prefix", "Bad Prefix"], "--slug-prefix must be"),
    (["--coops", "1", "--members", "5", "--years", "1"], "Missing option '--seed'"),
])
def test_bad_arguments_are_refused_clearly_and_write_nothing(cli, app_ctx, args, text):
    result = cli("generate", *args)
    assert result.exit_code == 2
    assert text in result.output
    assert tenancy.get_by_slug("gen-1") is None


def test_an_existing_slug_is_refused(cli, app_ctx):
    tenancy.create_cooperative("gen-1", "Koperasi Lama")
    result = cli("generate", "--coops", "2", "--members", "5", "--years", "1", "--seed", "1")
    assert result.exit_code == 1, result.output
    assert "gen-1 already exists" in result.output
    assert tenancy.get_by_slug("gen-2") is None


@needs_hledger
def test_hledger_agrees_with_the_project_on_every_account_of_a_generated_cooperative(cli, app_ctx, tmp_path):
    """Issue 10: the peer on the same data — a generated cooperative (savings, sales, purchases,
    expenses, a closed year, SHU) exported with ``koppontren export hledger``."""
    assert cli("generate", "--coops", "1", "--members", "6", "--years", "1", "--seed", "5").exit_code == 0
    path = tmp_path / "gen-1.journal"
    result = cli("export", "hledger", "--coop", "gen-1", "--out", str(path))
    assert result.exit_code == 0, result.output
    coop = tenancy.get_by_slug("gen-1")
    ours = project_balances(coop)
    assert hledger_balances(path) == ours
    assert {"1101", "1141", "2111"} <= set(ours) and len(ours) >= 8  # cash, stock, sukarela…: a real year's books, not an empty one
