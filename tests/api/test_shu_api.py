"""The SHU endpoints: rules (GET/PUT), compute, the run, approval at the RAT and payouts — on the
small closed year 2025 of tests/shu (SHU Rp79.000; members A, B, C eligible, D joined in 2026),
posted through the services; today pinned to 20 March 2026 (after the RAT of 15 March 2026)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from koppontren.ledger import periods, posting
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.members import services as members
from koppontren.savings import services as savings
from koppontren.shop import services as shop
from koppontren.shu import services as shu
from tests.api.conftest import Api
from tests.shu.conftest import RAT, TODAY, _build_year

APPROVE = {"date": RAT.isoformat(), "decision": "01/RAT/2026"}


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    for module in (shop, members, savings, shu, posting):
        monkeypatch.setattr(module, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def year_2025(coop, users):
    return _build_year(coop, users["treasurer"], users["admin"])


def _rules(api: Api, year: int = 2025) -> dict:
    r = api.get(f"/shu/{year}/rules")
    assert r.status_code == 200, r.json
    return r.json


def _put(api: Api, body, year: int = 2025):
    return api.client.put(api.url(f"/shu/{year}/rules"), data=json.dumps(body), content_type="application/json",
                          headers=api.headers())


def test_the_default_rules_are_those_of_rules_md(api, coop):
    rules = _rules(api)
    assert rules["savings_basis"] == "year_end" and rules["include_sukarela"] is False and rules["include_departed"] is False
    assert [(c["kind"], c["percent"], c["account"]) for c in rules["components"]] == [
        ("reserve", "40", "3105"), ("jasa_modal", "15", "2121"), ("jasa_usaha", "25", "2121"),
        ("fund", "5", "2122"), ("fund", "5", "2123"), ("fund", "5", "2124"), ("fund", "5", "2125")]


def test_put_rules_validates_and_stores(api, coop):
    rules = _rules(api)
    rules["components"][0]["percent"] = "35"
    rules["components"][2]["percent"] = "30"
    rules["savings_basis"] = "monthly_average"
    r = _put(api, rules)
    assert r.status_code == 200, r.json
    assert r.json["components"][0]["percent"] == "35" and r.json["savings_basis"] == "monthly_average"
    assert _rules(api) == r.json
    assert shu.rules_of(coop, 2025).origin == "stored"

    bad = json.loads(json.dumps(rules))
    bad["components"][0]["percent"] = "30"
    r = _put(api, bad)
    assert r.status_code == 422 and r.json["error"]["code"] == "percent_not_100"
    bad = json.loads(json.dumps(rules))
    bad["components"][1]["kind"] = "bonus"
    r = _put(api, bad)
    assert r.status_code == 422 and r.json["error"]["code"] == "validation_error" and "components.2.kind" in r.json["error"]["fields"]
    bad = json.loads(json.dumps(rules))
    bad["components"][3]["account"] = "9999"
    r = _put(api, bad)
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_rules"
    bad = json.loads(json.dumps(rules))
    bad["components"][0]["percent"] = 35
    assert _put(api, bad).status_code == 422
    assert _rules(api)["components"][0]["percent"] == "35"  # nothing written by the refusals


def test_compute_is_refused_for_an_open_year(api, coop):
    r = api.post("/shu/2026")
    assert r.status_code == 422 and r.json["error"]["code"] == "year_not_closed"


def test_compute_is_refused_without_a_positive_shu(build, api, coop, users):
    build.fund(coop, 1_000_000, date(2025, 1, 2))  # the capital Kas Besar pays the loss from (equity, not SHU)
    post_entry(coop, entry_date=date(2025, 5, 1), description="Rugi", actor=users["treasurer"],
               lines=[LineSpec("6102", debit=1000), LineSpec("1101", credit=1000)])
    periods.close_year(coop, 2025, actor=users["admin"])
    r = api.post("/shu/2025")
    assert r.status_code == 422 and r.json["error"]["code"] == "shu_not_positive"
    assert api.get("/shu/2025").status_code == 404


def test_the_whole_year_compute_approve_pay(api_for, coop, year_2025):
    treasurer, admin = api_for("treasurer"), api_for("admin")
    a, b, c = year_2025
    r = treasurer.post("/shu/2025", key="compute-1")
    assert r.status_code == 201, r.json
    assert r.json["status"] == "draft" and r.json["shu"] == "79000" and r.json["member_count"] == 3 and "members" not in r.json
    again = treasurer.post("/shu/2025", key="compute-1")
    assert (again.status_code, again.json) == (201, r.json) and again.headers.get("Idempotent-Replayed") == "true"
    assert treasurer.post("/shu/2025", {"other": 1}, key="compute-1").status_code == 409

    run = treasurer.get("/shu/2025")
    assert run.status_code == 200
    assert [p["amount"] for p in run.json["pools"]][:3] == ["31600", "11850", "19750"]
    assert sum(int(p["amount"]) for p in run.json["pools"]) == 79000
    assert [m["member"] for m in run.json["members"]] == [a.number, b.number, c.number]
    assert run.json["total"] == 3 and run.json["page"] == 1
    first = run.json["members"][0]
    assert all(isinstance(first[k], str) for k in ("savings_basis", "jasa_modal", "jasa_usaha", "total"))
    assert first["savings_basis"] == "220000" and first["payout"] is None
    assert sum(int(m["total"]) for m in run.json["members"]) == 11850 + 19750
    page = treasurer.get("/shu/2025", page=2, per_page=2)
    assert [m["member"] for m in page.json["members"]] == [c.number]

    r = treasurer.post("/shu/2025/approve", APPROVE)
    assert r.status_code == 422 and r.json["error"]["code"] == "same_user"
    r = admin.post("/shu/2025/approve", {**APPROVE, "date": "2025-12-31"})
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_date"
    r = admin.post("/shu/2025/approve", APPROVE, key="approve-1")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "approved" and r.json["approval"]["decision"] == "01/RAT/2026"
    assert r.json["approval"]["entry"].startswith("SHU/2026/")
    again = admin.post("/shu/2025/approve", APPROVE, key="approve-1")
    assert (again.status_code, again.json) == (200, r.json)
    assert admin.post("/shu/2025/approve", {**APPROVE, "decision": "02"}, key="approve-1").status_code == 409
    r = admin.post("/shu/2025/approve", APPROVE)
    assert r.status_code == 409 and r.json["error"]["code"] == "not_draft"

    r = _put(treasurer, _rules(treasurer))
    assert r.status_code == 409 and r.json["error"]["code"] == "run_frozen"
    r = treasurer.post("/shu/2025")
    assert r.status_code == 409 and r.json["error"]["code"] == "run_frozen"

    day = TODAY.isoformat()
    r = treasurer.post("/shu/2025/payouts", {"date": day, "member": "X-9999", "method": "cash"})
    assert r.status_code == 422 and r.json["error"]["code"] == "unknown_member"
    r = treasurer.post("/shu/2025/payouts", {"date": day, "member": a.number, "method": "bonus"})
    assert r.status_code == 422 and r.json["error"]["code"] == "validation_error"
    r = treasurer.post("/shu/2025/payouts", {"date": day, "member": a.number, "method": "cash"}, key="pay-a")
    assert r.status_code == 201, r.json
    assert [(p["member"], p["method"]) for p in r.json["payouts"]] == [(a.number, "cash")]
    assert r.json["status"] == "approved"
    share_a = next(m for m in run.json["members"] if m["member"] == a.number)
    assert r.json["payouts"][0]["amount"] == share_a["total"]
    again = treasurer.post("/shu/2025/payouts", {"date": day, "member": a.number, "method": "cash"}, key="pay-a")
    assert (again.status_code, again.json) == (201, r.json)
    assert treasurer.post("/shu/2025/payouts", {"date": day, "method": "cash"}, key="pay-a").status_code == 409

    r = treasurer.post("/shu/2025/payouts", {"date": day, "method": "sukarela"}, key="pay-rest")
    assert r.status_code == 201, r.json
    assert sorted((p["member"], p["method"]) for p in r.json["payouts"]) == [(b.number, "sukarela"), (c.number, "sukarela")]
    assert r.json["status"] == "paid"
    share_b = int(next(m["total"] for m in run.json["members"] if m["member"] == b.number))
    assert savings.balances(coop, b.id).sukarela == share_b * 100  # sen
    assert savings.balances(coop, a.id).shu_payable == 0

    final = api_for("auditor").get("/shu/2025")
    assert final.status_code == 200 and final.json["status"] == "paid"
    assert {m["member"]: m["payout"]["method"] for m in final.json["members"]} == {
        a.number: "cash", b.number: "sukarela", c.number: "sukarela"}
    r = treasurer.post("/shu/2025/payouts", {"date": day, "method": "cash"})
    assert r.status_code == 201 and r.json["payouts"] == []  # nobody left to pay


def test_payouts_before_approval_are_refused(api, year_2025):
    assert api.post("/shu/2025").status_code == 201
    r = api.post("/shu/2025/payouts", {"date": TODAY.isoformat(), "method": "cash"})
    assert r.status_code == 422 and r.json["error"]["code"] == "not_approved"
    r = api.post("/shu/2025/approve", {"date": "2026-13-01", "decision": "x"})
    assert r.status_code == 422


def test_roles(api_for, coop, year_2025):
    assert api_for("treasurer").post("/shu/2025").status_code == 201
    auditor, cashier, member = api_for("auditor"), api_for("cashier"), api_for("member")
    assert auditor.get("/shu/2025").status_code == 200
    assert auditor.get("/shu/2025/rules").status_code == 200
    for client in (auditor, cashier, member):
        assert client.post("/shu/2025").status_code == 403
        assert client.post("/shu/2025/approve", APPROVE).status_code == 403
        assert client.post("/shu/2025/payouts", {"date": TODAY.isoformat(), "method": "cash"}).status_code == 403
        assert _put(client, _rules(api_for("treasurer"))).status_code == 403
    for client in (cashier, member):
        assert client.get("/shu/2025").status_code == 403
        assert client.get("/shu/2025/rules").status_code == 403
    assert shu.get_run(coop, 2025).status == "draft"


def test_anonymous_and_another_cooperative(client, api_for, coop, other_coop, year_2025):
    assert api_for("treasurer").post("/shu/2025").status_code == 201
    _other, token = other_coop
    foreign = Api(client, token, coop.slug)
    anonymous = api_for(None)
    for who, status in ((anonymous, 401), (foreign, 404)):
        assert who.get("/shu/2025").status_code == status
        assert who.get("/shu/2025/rules").status_code == status
        assert who.post("/shu/2025").status_code == status
        assert who.post("/shu/2025/approve", APPROVE).status_code == status
        assert who.post("/shu/2025/payouts", {"date": TODAY.isoformat(), "method": "cash"}).status_code == status
        assert _put(who, {"components": []}).status_code == status
    own = Api(client, token, "annur")  # the other cooperative's own year: nothing computed
    assert own.get("/shu/2025").status_code == 404


# --- races through the HTTP path (PostgreSQL: SQLite serialises writers by design) ----------------

def _post_at_once(app, api: Api, posts: list[tuple[str, dict | None, str | None]]) -> list[tuple[int, dict]]:
    from koppontren.extensions import db
    from tests.ledger.test_concurrency import _run_threads

    db.session.commit()
    results: dict[int, tuple[int, dict]] = {}

    def work(i: int) -> None:
        path, body, token = posts[i]
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token or api.token}"}
        r = client.post(api.url(path), data=json.dumps(body or {}), content_type="application/json", headers=headers)
        results[i] = (r.status_code, r.get_json())

    assert _run_threads(app, len(posts), work) == []
    return [results[i] for i in range(len(posts))]


@pytest.mark.postgres_only
def test_first_computes_posted_at_once_all_answer_201_with_one_run(app, api_for, coop, year_2025, is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL")
    treasurer = api_for("treasurer")
    results = _post_at_once(app, treasurer, [("/shu/2025", None, None)] * 4)
    assert [status for status, _ in results] == [201] * 4, results
    assert {(body["shu"], body["member_count"], json.dumps(body["pools"])) for _, body in results} == {
        ("79000", 3, json.dumps(results[0][1]["pools"]))}
    run = treasurer.get("/shu/2025")
    assert run.status_code == 200 and run.json["total"] == 3 and run.json["status"] == "draft"


@pytest.mark.postgres_only
def test_recomputes_and_approvals_posted_at_once_answer_409_never_500(app, api_for, coop, year_2025, is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL")
    treasurer, admin = api_for("treasurer"), api_for("admin")
    assert treasurer.post("/shu/2025").status_code == 201
    posts = [("/shu/2025", None, treasurer.token), ("/shu/2025/approve", APPROVE, admin.token)] * 2
    results = _post_at_once(app, treasurer, posts)
    for status, body in results:
        assert status in (200, 201) or (status == 409 and body["error"]["code"] in ("not_draft", "run_changed", "run_frozen")), results
    run = treasurer.get("/shu/2025").json
    approvals = [s for (s, _), (path, _, _) in zip(results, posts, strict=True) if path.endswith("/approve") and s == 200]
    assert len(approvals) == (run["status"] == "approved")  # approved once, or not at all
    if run["status"] == "approved":
        coop_now = shu.get_run(coop, 2025)
        assert shu.verify_run(coop, coop_now)
