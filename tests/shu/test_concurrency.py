"""Races on PostgreSQL: bulk payouts racing each other pay every member once; two approvals at once
post one allocation entry. Each thread has its own app context and connection, like concurrent
requests."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.savings import services as savings
from koppontren.shu import services as shu
from koppontren.shu.models import ShuPayout
from koppontren.shu.rules import ShuError
from koppontren.tenancy.services import get_by_slug
from tests.ledger.test_concurrency import _run_threads
from tests.shu.conftest import RAT

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def _race(app, n: int, work) -> list[str]:
    outcomes: list[str] = []

    def runner(i: int) -> None:
        try:
            work(i)
            outcomes.append("ok")
        except ShuError as err:
            outcomes.append(err.code)

    assert _run_threads(app, n, runner) == []
    return outcomes


def test_bulk_payouts_racing_pay_each_member_once(app, coop, treasurer, admin, year_2025):
    shu.compute_run(coop, 2025, actor=treasurer)
    shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=admin)
    treasurer_id = treasurer.id
    db.session.commit()

    def work(i: int) -> None:
        from koppontren.auth.services import user_by_id
        shu.pay(get_by_slug("alhikmah"), 2025, day=RAT, method="cash", actor=user_by_id(treasurer_id))

    assert set(_race(app, 4, work)) <= {"ok", "already_paid"}
    coop = get_by_slug("alhikmah")
    assert db.session.scalar(select(func.count()).select_from(ShuPayout).where(ShuPayout.cooperative_id == coop.id)) == 3
    assert queries.balance_of(coop, chart.account_for(coop, "shu_payable")) == 0
    assert check_cooperative(coop).ok


def test_two_approvals_at_once_post_one_allocation_entry(app, coop, treasurer, admin, year_2025):
    shu.compute_run(coop, 2025, actor=treasurer)
    admin_id = admin.id
    db.session.commit()

    def work(i: int) -> None:
        from koppontren.auth.services import user_by_id
        shu.approve_run(get_by_slug("alhikmah"), 2025, day=RAT, decision="01/RAT/2026", actor=user_by_id(admin_id))

    outcomes = _race(app, 3, work)
    assert outcomes.count("ok") >= 1 and set(outcomes) <= {"ok", "not_draft"}
    coop = get_by_slug("alhikmah")
    assert queries.balance_of(coop, chart.account_for(coop, "shu_current")) == 0  # 3108 emptied once, not twice
    assert check_cooperative(coop).ok


# --- the year's lock: first computes, rules changes, compute vs approval, one member paid twice -----

def _user(user_id):
    from koppontren.auth.services import user_by_id
    return user_by_id(user_id)


def _runs_and_rules(coop) -> tuple[int, int]:
    from koppontren.shu.models import ShuRules, ShuRun
    runs = db.session.scalar(select(func.count()).select_from(ShuRun).where(ShuRun.cooperative_id == coop.id))
    rules = db.session.scalar(select(func.count()).select_from(ShuRules).where(ShuRules.cooperative_id == coop.id))
    return runs, rules


def _meet_at_the_lock(monkeypatch, parties: int) -> None:
    """Every thread has done its unlocked checks (no run, no stored rules) before any takes the
    year's lock: the shape of two first computes submitted at the same moment."""
    barrier = threading.Barrier(parties, timeout=60)
    real = shu._lock_year

    def lock_year(*args, **kw):
        barrier.wait()
        return real(*args, **kw)

    monkeypatch.setattr(shu, "_lock_year", lock_year)


def test_four_first_computes_at_once_give_one_run(app, coop, treasurer, year_2025, monkeypatch):
    treasurer_id = treasurer.id
    db.session.commit()
    _meet_at_the_lock(monkeypatch, 4)

    outcomes = _race(app, 4, lambda i: shu.compute_run(get_by_slug("alhikmah"), 2025, actor=_user(treasurer_id)))
    assert outcomes == ["ok"] * 4  # the later ones recompute the same draft
    coop = get_by_slug("alhikmah")
    assert _runs_and_rules(coop) == (1, 1)
    run = shu.get_run(coop, 2025)
    assert run.status == "draft" and shu.share_count(coop, run) == 3 and shu.verify_run(coop, run)
    assert sum(p["amount"] for p in run.pools) == 7_900_000


def test_first_rules_saves_at_once_store_one_row(app, coop, treasurer, monkeypatch):
    treasurer_id = treasurer.id
    base = shu.rules_of(coop, 2025).rules.to_dict()
    bodies = []
    for reserve in ("40", "35", "30"):
        body = {**base, "components": [dict(c) for c in base["components"]]}
        body["components"][0]["percent"] = reserve
        body["components"][2]["percent"] = str(25 + 40 - int(reserve))
        bodies.append(body)
    db.session.commit()
    _meet_at_the_lock(monkeypatch, 3)

    outcomes = _race(app, 3, lambda i: shu.save_rules(get_by_slug("alhikmah"), 2025, bodies[i], actor=_user(treasurer_id)))
    assert outcomes == ["ok"] * 3
    coop = get_by_slug("alhikmah")
    assert _runs_and_rules(coop) == (0, 1)
    stored = shu.rules_of(coop, 2025)
    assert stored.origin == "stored" and stored.rules.to_dict()["components"][0]["percent"] in ("40", "35", "30")


def test_a_rules_change_racing_the_first_compute_is_used_whole_or_comes_after(app, coop, treasurer, year_2025, monkeypatch):
    treasurer_id = treasurer.id
    changed = shu.rules_of(coop, 2025).rules.to_dict()
    changed["components"][0]["percent"], changed["components"][2]["percent"] = "30", "35"
    db.session.commit()
    _meet_at_the_lock(monkeypatch, 2)

    def work(i: int) -> None:
        coop = get_by_slug("alhikmah")
        if i == 0:
            shu.save_rules(coop, 2025, changed, actor=_user(treasurer_id))
        else:
            shu.compute_run(coop, 2025, actor=_user(treasurer_id))

    assert _race(app, 2, work) == ["ok", "ok"]
    coop = get_by_slug("alhikmah")
    assert _runs_and_rules(coop) == (1, 1)
    run = shu.get_run(coop, 2025)
    assert shu.rules_of(coop, 2025).rules.to_dict() == changed  # the save is never lost
    assert run.snapshot["rules"]["components"][0]["percent"] in ("40", "30")  # the run used one table whole
    assert shu.verify_run(coop, run)


def _approval_balances_match_the_run(coop) -> None:
    run = shu.get_run(coop, 2025)
    assert queries.balance_of(coop, chart.account_for(coop, "shu_current")) == 0  # 3108 emptied once
    members_total = sum(s.total for s in shu.shares_of(coop, run))
    assert queries.balance_of(coop, chart.account_for(coop, "shu_payable")) == members_total  # what the run says
    assert shu.verify_run(coop, run)
    assert check_cooperative(coop).ok


def test_an_approval_racing_a_recompute_is_refused_if_the_recompute_commits_between(app, coop, treasurer, admin, year_2025,
                                                                                   monkeypatch):
    """The approver checked one draft; a recompute commits before the approval locks the run: the
    approval is refused ``run_changed`` (the approver must look at the new figures), nothing posted."""
    shu.compute_run(coop, 2025, actor=treasurer)
    treasurer_id, admin_id = treasurer.id, admin.id
    db.session.commit()
    approver_checked, recomputed = threading.Event(), threading.Event()
    real_get_run = shu.get_run

    def get_run(coop, year, *, lock=False):
        if lock and threading.current_thread().name == "approver":
            approver_checked.set()
            assert recomputed.wait(60)
        return real_get_run(coop, year, lock=lock)

    monkeypatch.setattr(shu, "get_run", get_run)
    outcomes = {}

    def work(i: int) -> None:
        coop = get_by_slug("alhikmah")
        if i == 0:
            threading.current_thread().name = "approver"
            try:
                shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=_user(admin_id))
                outcomes["approve"] = "ok"
            except ShuError as err:
                outcomes["approve"] = err.code
        else:
            assert approver_checked.wait(60)
            try:
                shu.compute_run(coop, 2025, actor=_user(treasurer_id))
                outcomes["compute"] = "ok"
            finally:
                recomputed.set()

    assert _run_threads(app, 2, work) == []
    assert outcomes == {"compute": "ok", "approve": "run_changed"}
    coop = get_by_slug("alhikmah")
    assert shu.get_run(coop, 2025).status == "draft"
    assert queries.balance_of(coop, chart.account_for(coop, "shu_payable")) == 0  # no allocation posted
    assert check_cooperative(coop).ok


def test_a_recompute_racing_an_approval_that_commits_first_is_refused_run_frozen(app, coop, treasurer, admin, year_2025,
                                                                                monkeypatch):
    shu.compute_run(coop, 2025, actor=treasurer)
    treasurer_id, admin_id = treasurer.id, admin.id
    db.session.commit()
    compute_checked, approved = threading.Event(), threading.Event()
    real = shu._lock_year

    def lock_year(*args, **kw):
        compute_checked.set()
        assert approved.wait(60)
        return real(*args, **kw)

    monkeypatch.setattr(shu, "_lock_year", lock_year)
    outcomes = {}

    def work(i: int) -> None:
        coop = get_by_slug("alhikmah")
        if i == 0:
            try:
                shu.compute_run(coop, 2025, actor=_user(treasurer_id))
                outcomes["compute"] = "ok"
            except ShuError as err:
                outcomes["compute"] = err.code
        else:
            assert compute_checked.wait(60)
            try:
                shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=_user(admin_id))
                outcomes["approve"] = "ok"
            finally:
                approved.set()

    assert _run_threads(app, 2, work) == []
    assert outcomes == {"approve": "ok", "compute": "run_frozen"}
    _approval_balances_match_the_run(get_by_slug("alhikmah"))


def test_recomputes_and_approvals_at_once_never_post_a_stale_or_double_allocation(app, coop, treasurer, admin, year_2025):
    shu.compute_run(coop, 2025, actor=treasurer)
    treasurer_id, admin_id = treasurer.id, admin.id
    db.session.commit()

    def work(i: int) -> None:
        coop = get_by_slug("alhikmah")
        if i % 2:
            shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=_user(admin_id))
        else:
            shu.compute_run(coop, 2025, actor=_user(treasurer_id))

    outcomes = _race(app, 4, work)
    assert set(outcomes) <= {"ok", "not_draft", "run_changed", "run_frozen"}, outcomes
    coop = get_by_slug("alhikmah")
    if shu.get_run(coop, 2025).status == "approved":
        _approval_balances_match_the_run(coop)
    else:
        assert queries.balance_of(coop, chart.account_for(coop, "shu_payable")) == 0


def test_one_member_paid_from_four_places_at_once_is_paid_once(app, coop, treasurer, admin, year_2025):
    a = year_2025[0]
    shu.compute_run(coop, 2025, actor=treasurer)
    shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=admin)
    treasurer_id, member_id = treasurer.id, a.id
    share_a = shu.shares_of(coop, shu.get_run(coop, 2025), member_id=a.id)[0].total
    db.session.commit()
    paid_ids: list[int] = []

    def work(i: int) -> None:
        coop = get_by_slug("alhikmah")
        method = ("cash", "sukarela")[i % 2]
        if i == 3:  # the bulk payout of everyone unpaid, racing the single ones
            shu.pay(coop, 2025, day=RAT, method="cash", actor=_user(treasurer_id))
        else:
            paid_ids.extend(p.id for p in shu.pay(coop, 2025, day=RAT, method=method, member_id=member_id, actor=_user(treasurer_id)))

    assert _race(app, 4, work) == ["ok"] * 4
    coop = get_by_slug("alhikmah")
    payouts = list(db.session.scalars(select(ShuPayout).where(ShuPayout.cooperative_id == coop.id, ShuPayout.member_id == a.id)))
    assert len(payouts) == 1 and set(paid_ids) <= {payouts[0].id}  # the others were answered with that one payout
    assert db.session.scalar(select(func.count()).select_from(ShuPayout).where(ShuPayout.cooperative_id == coop.id)) == 3
    assert queries.balance_of(coop, chart.account_for(coop, "shu_payable")) == 0
    sukarela_a = savings.balances_of_many(coop, [a.id], as_of=RAT)[a.id].sukarela
    assert sukarela_a == 500_000_00 + (share_a if payouts[0].method == "sukarela" else 0)
    assert check_cooperative(coop).ok
