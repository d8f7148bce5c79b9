"""The audit log page: what admins and auditors see, only their own cooperative's events."""

from __future__ import annotations

from koppontren.audit.services import record
from koppontren.extensions import db
from tests.helpers import login


def test_auditor_reads_the_log_with_readable_actions_newest_first(client, build):
    coop = build.coop("alhikmah")
    build.user("pengawas", coop, "auditor")
    login(client, "pengawas")
    page = client.get("/alhikmah/audit").get_data(as_text=True)
    assert "Peran diberikan" in page and "Koperasi dibuat" in page
    assert page.index("Peran diberikan") < page.index("Koperasi dibuat")
    client.post("/language", data={"lang": "en"})
    assert "Role granted" in client.get("/alhikmah/audit").get_data(as_text=True)


def test_events_of_another_cooperative_never_show(client, build):
    a, b = build.coop("coop-a"), build.coop("coop-b")
    build.user("pengawas.a", a, "auditor")
    record("coop.updated", cooperative_id=b.id, changed={"name": "Rahasia Koperasi B"})
    db.session.commit()
    login(client, "pengawas.a")
    assert "Rahasia Koperasi B" not in client.get("/coop-a/audit").get_data(as_text=True)


def test_the_log_is_paginated(client, build):
    coop = build.coop("alhikmah")
    build.user("ketua", coop, "admin")
    for i in range(60):
        record("coop.updated", cooperative_id=coop.id, changed={"address": f"Jalan {i}"})
    db.session.commit()
    login(client, "ketua")
    first = client.get("/alhikmah/audit").get_data(as_text=True)
    second = client.get("/alhikmah/audit?page=2").get_data(as_text=True)
    assert "1 / 2" in first and "2 / 2" in second
    assert "Jalan 59" in first and "Jalan 0" in second
    assert client.get("/alhikmah/audit?page=abc").status_code == 200
