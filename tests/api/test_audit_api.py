"""``GET /api/v1/coops/{coop}/audit-events``: the audit log as JSON pages (with ``total``), CSV or
XLSX, with the page's filters; admins and auditors only, only their own cooperative's events."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from koppontren.audit.services import record
from koppontren.extensions import db


def _entry(day, amount="150000"):
    return {"date": day.isoformat(), "description": "Penjualan tunai", "lines": [
        {"account": "1101", "debit": amount}, {"account": "4201", "credit": amount}]}


def test_the_log_lists_who_did_what_newest_first_with_total(api_for, day):
    assert api_for("treasurer").post("/journal-entries", _entry(day, "1500000")).status_code == 201
    r = api_for("auditor").get("/audit-events", per_page=3)
    assert r.status_code == 200, r.json
    assert r.json["page"] == 1 and r.json["per_page"] == 3 and len(r.json["items"]) == 3 and r.json["total"] > 3
    first = r.json["items"][0]
    assert first["action"] == "entry.posted" and first["action_label"] == "Jurnal diposting"
    assert (first["actor"], first["actor_kind"], first["login"], first["name"], first["token"]) == (
        "Token API token treasurer", "token", "treasurer.alhikmah", "Treasurer Alhikmah", "token treasurer")
    assert first["detail"]["total"] == "1500000.00" and "_token" not in first["detail"]
    assert {"key": "total", "label": "Total", "value": "Rp1.500.000"} in first["details"]
    assert first["time"].endswith("Z") and first["ip_address"] == "127.0.0.1"
    created = [i for i in api_for("admin").get("/audit-events", action="api_token.created", per_page=500).json["items"]]
    assert created and all(i["actor_kind"] == "cli" and i["actor"] == "CLI" for i in created)
    second = api_for("auditor").get("/audit-events", per_page=3, page=2).json
    assert second["items"][0]["id"] < r.json["items"][-1]["id"] and second["total"] == r.json["total"]


def test_filters_by_user_action_and_dates(api_for, day):
    api_for("treasurer").post("/journal-entries", _entry(day))
    audit = api_for("auditor")
    mine = audit.get("/audit-events", user="treasurer.alhikmah", action="entry.posted").json
    assert mine["total"] == 1 and mine["items"][0]["login"] == "treasurer.alhikmah"
    assert audit.get("/audit-events", user="admin.alhikmah", action="entry.posted").json["total"] == 0
    today = day.isoformat()
    assert audit.get("/audit-events", action="entry.posted", **{"from": today, "to": today}).json["total"] == 1
    assert audit.get("/audit-events", action="entry.posted", to="2000-01-01").json["total"] == 0
    for bad, field in (({"user": "tidak.ada"}, "user"), ({"action": "x.y"}, "action"), ({"from": "2026-02-30"}, "from"),
                       ({"from": "2026-05-02", "to": "2026-05-01"}, "to"), ({"format": "pdf"}, "format"),
                       ({"per_page": "501"}, "per_page")):
        r = audit.get("/audit-events", **bad)
        assert r.status_code == 422 and field in r.json["error"]["fields"], (bad, r.json)


def test_csv_and_xlsx_hold_the_filtered_log_with_formulas_neutralised(api_for, coop, day):
    api_for("treasurer").post("/journal-entries", _entry(day, "2500000"))
    record("coop.updated", cooperative_id=coop.id, login="=1+1", changed={"name": "@cmd"})
    db.session.commit()
    audit = api_for("auditor")
    r = audit.get("/audit-events", format="csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    posted = next(row for row in rows if row[4] == "entry.posted")
    assert posted[1] == "Token API token treasurer" and "Rp2.500.000" in posted[5]
    assert "'=1+1" in [c for row in rows for c in row]
    assert not [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@")]
    r = audit.get("/audit-events", format="xlsx", action="entry.posted")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    data = [row for row in load_workbook(io.BytesIO(r.data)).active.iter_rows(min_row=3, values_only=True) if row[0]]
    assert [row[4] for row in data] == ["entry.posted"] and data[0][1] == "Token API token treasurer"


@pytest.mark.parametrize("role", ["treasurer", "cashier", "member"])
def test_who_may_not_read_it_gets_403(api_for, role):
    r = api_for(role).get("/audit-events")
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert api_for(role).get("/audit-events", format="csv").status_code == 403


def test_another_cooperatives_token_gets_404_and_none_401(client, api_for, other_coop, coop):
    _other, token = other_coop
    r = client.get(f"/api/v1/coops/{coop.slug}/audit-events", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404
    assert api_for(None).get("/audit-events").status_code == 401
    # and the other cooperative's own log holds none of this one's events
    own = client.get("/api/v1/coops/annur/audit-events", headers={"Authorization": f"Bearer {token}"})
    assert own.status_code == 403  # a treasurer there may not read it either


def test_the_operation_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/coops/{coop}/audit-events"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"user", "action", "from", "to", "format", "page", "per_page"} <= names
    assert {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(op["responses"]["200"]["content"])
    assert "AuditEvent" in doc["components"]["schemas"]


def test_a_person_on_the_pages_reads_as_login_and_name(app, client, api_for, users):
    from tests.helpers import login

    audit = api_for("auditor")
    assert login(client, "admin.alhikmah").status_code == 302
    assert client.post("/alhikmah/tokens", data={"name": "Dibuat di halaman"}).status_code == 200
    event = audit.get("/audit-events", action="api_token.created", user="admin.alhikmah").json["items"][0]
    assert (event["actor"], event["actor_kind"], event["login"], event["name"], event["token"]) == (
        "admin.alhikmah (Admin Alhikmah)", "person", "admin.alhikmah", "Admin Alhikmah", None)
    assert event["detail"]["name"] == "Dibuat di halaman"
    users["auditor"].locale = "en"  # the API speaks the token user's language
    db.session.commit()
    english = audit.get("/audit-events", action="api_token.created", per_page=500).json["items"]
    assert english[-1]["actor"] == "CLI" and english[-1]["action_label"] == "API token created"
