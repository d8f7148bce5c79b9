"""The audit log page and its exports: who acted (a person, an API token, the command line), the
action and its details in the reader's language, filters, pages, CSV and XLSX — only the reader's
own cooperative's events, only for admins and auditors."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from koppontren.audit.models import AuditEvent
from koppontren.audit.services import event_values, record
from koppontren.auth import tokens
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.ledger import chart
from tests.helpers import login


def _table(page: str) -> str:
    """The log's table only (the action filter lists every label too)."""
    assert 'id="audit-log"' in page, page[:2000]
    return page.split('id="audit-log"', 1)[1].split("</table>", 1)[0]


def _rows(page: str) -> list[str]:
    return _table(page).split("<tr data-actor-kind=")[1:]


@pytest.fixture
def coop(build):
    coop = build.coop("alhikmah")
    build.user("ketua", coop, "admin", name="Ahmad Fauzi")
    build.user("pengawas", coop, "auditor", name="Umar Said")
    build.user("bendahara", coop, "treasurer", name="Siti Aminah")
    return coop


def _api_posting(client, coop, amount="1500000", token_name="Kasir POS"):  # noqa: S107 - a name
    """The treasurer posts a journal entry through the API with a token called ``token_name``."""
    from koppontren.auth.services import get_user_by_login

    _row, plain = tokens.create_token(coop, get_user_by_login("bendahara"), token_name)
    body = {"date": today().isoformat(), "description": "Penjualan tunai", "lines": [
        {"account": "1101", "debit": amount}, {"account": "4201", "credit": amount}]}
    r = client.post(f"/api/v1/coops/{coop.slug}/journal-entries", data=json.dumps(body), content_type="application/json",
                    headers={"Authorization": f"Bearer {plain}"})
    assert r.status_code == 201, r.json
    return r.json["number"]


def _english_has(app, msgid: str) -> bool:
    """Whether the English catalog translates ``msgid`` yet (new strings arrive with the lead's catalog update)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale("en"):
        return gettext(msgid) != msgid


def test_auditor_reads_the_log_with_readable_actions_newest_first(client, build):
    coop = build.coop("alhikmah")
    build.user("pengawas", coop, "auditor")
    login(client, "pengawas")
    table = _table(client.get("/alhikmah/audit").get_data(as_text=True))
    assert "Peran diberikan" in table and "Koperasi dibuat" in table
    assert table.index("Peran diberikan") < table.index("Koperasi dibuat")
    client.post("/language", data={"lang": "en"})
    assert "Role granted" in _table(client.get("/alhikmah/audit").get_data(as_text=True))


def test_events_of_another_cooperative_never_show(client, build):
    a, b = build.coop("coop-a"), build.coop("coop-b")
    build.user("pengawas.a", a, "auditor")
    record("coop.updated", cooperative_id=b.id, changed={"name": "Rahasia Koperasi B"})
    db.session.commit()
    login(client, "pengawas.a")
    assert "Rahasia Koperasi B" not in client.get("/coop-a/audit").get_data(as_text=True)
    assert "Rahasia Koperasi B" not in client.get("/coop-a/audit/export.csv").get_data(as_text=True)


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
    # the filters ride along on the page links
    filtered = client.get("/alhikmah/audit?action=coop.updated").get_data(as_text=True)
    assert "page=2&amp;action=coop.updated" in filtered or "action=coop.updated&amp;page=2" in filtered


def test_every_row_names_its_actor_a_person_a_token_or_the_cli(app, client, coop):
    login(client, "ketua")
    assert client.post("/alhikmah/users", data={"login": "kasir.ani", "name": "Ani Rahma", "password": "sandi-ani-123",
                                                "role": "cashier"}).status_code == 302
    number = _api_posting(client, coop)
    result = app.test_cli_runner().invoke(args=["token", "create", "--coop", "alhikmah", "--user", "bendahara", "--name", "Laporan"])
    assert result.exit_code == 0, result.output
    rows = _rows(client.get("/alhikmah/audit").get_data(as_text=True))
    by_action = {}
    for row in rows:
        by_action.setdefault(row.split('title="', 1)[1].split('"', 1)[0], row)
    # a person: login and name; the user they acted on is a detail, not the actor
    granted = by_action["role.granted"]
    assert '"person"' in granted and '<td class="actor">ketua (Ahmad Fauzi)</td>' in granted
    assert "kasir.ani" in granted and "Kasir" in granted  # the user and the role, labelled
    # the API: the token's name (posting writes its audit row with its own SQL)
    posted = by_action["entry.posted"]
    assert '"token"' in posted and '<td class="actor">Token API Kasir POS</td>' in posted
    assert number in posted and "Rp1.500.000" in posted
    # the command line
    created = by_action["api_token.created"]
    assert '"cli"' in created and '<td class="actor">CLI</td>' in created and "Laporan" in created
    event = db.session.query(AuditEvent).filter_by(action="entry.posted").one()
    assert event.login == "bendahara" and event.detail["_token"] == "Kasir POS"
    if _english_has(app, "Token API %(name)s"):
        client.post("/language", data={"lang": "en"})
        assert '<td class="actor">API token Kasir POS</td>' in client.get("/alhikmah/audit").get_data(as_text=True)


def test_a_login_is_filled_for_every_action_in_a_request(client, coop):
    login(client, "ketua")
    client.post("/alhikmah/users", data={"login": "kasir.ani", "name": "Ani Rahma", "password": "sandi-ani-123", "role": "cashier"})
    login_events = db.session.query(AuditEvent).filter(AuditEvent.action.in_(("login", "user.created"))).all()
    assert {(e.action, e.login) for e in login_events} >= {("login", "ketua"), ("user.created", "kasir.ani")}
    granted = db.session.query(AuditEvent).filter_by(action="role.granted", login="kasir.ani").one()
    assert granted.actor_id is not None and granted.ip_address == "127.0.0.1"


def test_details_are_labelled_and_formatted_not_raw_json(client, coop):
    cash = chart.account_by_code(coop, "1101")
    record("account.renamed", cooperative_id=coop.id, code="1101", old="Kas Lama", new=cash.name_id)
    record("savings.deposit", cooperative_id=coop.id, member="A-0001", kind="sukarela", amount="250000.00", number="SP/2026/000001")
    record("savings.settings", cooperative_id=coop.id, pokok="100000.00", wajib={"santri": "10000.00"}, sukarela_earns_shu=True)
    db.session.commit()
    login(client, "pengawas")
    table = _table(client.get("/alhikmah/audit").get_data(as_text=True))
    assert '{"' not in table and "&#34;" not in table  # no JSON left
    assert f"1101 {cash.name_id}" in table and "Akun" in table  # an account with its name
    assert "Rp250.000" in table and "Jumlah" in table and "Nomor bukti" in table and "SP/2026/000001" in table
    assert "santri: Rp10.000" in table and "Rp100.000" in table and "Sukarela ikut SHU" in table and ">ya<" in table
    client.post("/language", data={"lang": "en"})
    english = _table(client.get("/alhikmah/audit").get_data(as_text=True))
    assert "IDR 250,000" in english and f"1101 {cash.name_en}" in english


def test_filters_by_user_action_and_dates(client, coop):
    from koppontren.auth.services import get_user_by_login

    ketua, bendahara = get_user_by_login("ketua"), get_user_by_login("bendahara")
    record("coop.updated", cooperative_id=coop.id, actor_id=ketua.id, changed={"address": "Jalan Ketua"})
    record("period.closed", cooperative_id=coop.id, actor_id=bendahara.id, period="2026-03")
    db.session.add(AuditEvent(**event_values("period.reopened", cooperative_id=coop.id, actor_id=bendahara.id, period="2026-01",
                                             reason="Koreksi lama"), created_at=datetime.now(UTC) - timedelta(days=40)))
    db.session.commit()
    login(client, "pengawas")

    def table(**args):
        r = client.get("/alhikmah/audit", query_string=args)
        assert r.status_code == 200
        return _table(r.get_data(as_text=True))

    by_ketua = table(user="ketua")
    assert "Jalan Ketua" in by_ketua and "2026-03" not in by_ketua
    assert table(user=str(ketua.id)) == by_ketua  # the user's id works too
    by_bendahara = table(user="bendahara")
    assert "2026-03" in by_bendahara and "Koreksi lama" in by_bendahara and "Jalan Ketua" not in by_bendahara
    closed = table(action="period.closed")
    assert "2026-03" in closed and "Koreksi lama" not in closed and "Jalan Ketua" not in closed
    recent = table(**{"from": (today() - timedelta(days=7)).isoformat(), "to": today().isoformat()})
    assert "2026-03" in recent and "Koreksi lama" not in recent
    older = table(to=(today() - timedelta(days=30)).isoformat())
    assert "Koreksi lama" in older and "2026-03" not in older
    # a filter that cannot apply is named, and shows nothing it should not
    for bad in ({"user": "orang.lain"}, {"action": "drop.table"}, {"from": "2026-13-45"}, {"from": "2026-05-02", "to": "2026-05-01"}):
        r = client.get("/alhikmah/audit", query_string=bad)
        assert r.status_code == 400 and 'id="filter-errors"' in r.get_data(as_text=True)


def test_a_user_of_another_cooperative_cannot_be_filtered_on(client, coop, build):
    other = build.coop("annur")
    build.user("orang.annur", other, "admin")
    login(client, "pengawas")
    r = client.get("/alhikmah/audit?user=orang.annur")
    assert r.status_code == 400 and "Tidak ada pengguna dengan login ini di koperasi ini." in r.get_data(as_text=True)


def _hostile(app, coop):
    """Events whose cells begin with = + - @ : a login, an unknown detail key, a typed login."""
    record("coop.updated", cooperative_id=coop.id, login="=HYPERLINK(\"http://x\")", changed={"name": "biasa"})
    record("coop.updated", cooperative_id=coop.id, **{"@SUM(A1)": "x"})
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.9"}):
        record("coop.updated", cooperative_id=coop.id, login="-2+3")
        record("coop.updated", cooperative_id=coop.id, login="+1")
    db.session.commit()


def test_csv_export_holds_the_filtered_rows_and_neutralises_formulas(app, client, coop):
    number = _api_posting(client, coop, amount="2750000")
    _hostile(app, coop)
    login(client, "pengawas")
    r = client.get("/alhikmah/audit/export.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Waktu", "Pelaku", "Login", "Tindakan", "Kode tindakan", "Rincian", "Alamat IP"]
    posted = next(row for row in rows if row[4] == "entry.posted")
    assert posted[1] == "Token API Kasir POS" and posted[2] == "bendahara" and posted[3] == "Jurnal diposting"
    assert f"Nomor bukti: {number}" in posted[5] and "Rp2.750.000" in posted[5] and posted[6] == "127.0.0.1"
    datetime.strptime(posted[0] + " +0700", "%Y-%m-%d %H:%M:%S %z")
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "'=HYPERLINK(\"http://x\")" in cells and "'-2+3" in cells and "'+1" in cells
    assert any(c.startswith("'@SUM(A1): x") for c in cells)
    assert len(rows) == 1 + db.session.query(AuditEvent).filter_by(cooperative_id=coop.id).count()
    # the page's filters apply to the export
    only = list(csv.reader(io.StringIO(client.get("/alhikmah/audit/export.csv?action=entry.posted&user=bendahara")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[4] for row in only[1:]] == ["entry.posted"]
    assert client.get("/alhikmah/audit/export.csv?from=kemarin").status_code == 400


def test_xlsx_export_holds_the_rows_with_times_and_neutralises_formulas(app, client, coop):
    _api_posting(client, coop, amount="1250000")
    _hostile(app, coop)
    login(client, "ketua")
    r = client.get("/alhikmah/audit/export.xlsx?user=bendahara")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data)).active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert values[0][0] == f"{coop.name} — Log audit"
    assert list(values[1]) == ["Waktu", "Pelaku", "Login", "Tindakan", "Kode tindakan", "Rincian", "Alamat IP"]
    data = [row for row in values[2:] if row[0] is not None]
    assert {row[4] for row in data} <= {"entry.posted", "api_token.created"} and "entry.posted" in {row[4] for row in data}
    posted = next(row for row in data if row[4] == "entry.posted")
    assert isinstance(posted[0], datetime) and posted[1] == "Token API Kasir POS" and "Rp1.250.000" in posted[5]
    everything = load_workbook(io.BytesIO(client.get("/alhikmah/audit/export.xlsx").data)).active
    cells = [c for row in everything.iter_rows(min_row=2, values_only=True) for c in row if isinstance(c, str)]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "'=HYPERLINK(\"http://x\")" in cells and "'-2+3" in cells and "'+1" in cells
    assert not [c for row in everything.iter_rows() for c in row if c.data_type == "f"]  # no formula at all


@pytest.mark.parametrize("role, status", [("cashier", 403), ("treasurer", 403), ("member", 403)])
def test_only_admins_and_auditors_read_the_log_or_export_it(client, coop, build, role, status):
    build.user("orang", coop, role)
    login(client, "orang")
    for path in ("/alhikmah/audit", "/alhikmah/audit/export.csv", "/alhikmah/audit/export.xlsx"):
        assert client.get(path).status_code == status


def test_another_cooperatives_admin_gets_404_and_a_visitor_the_login(client, coop, build):
    other = build.coop("annur")
    build.user("ketua.annur", other, "admin")
    for path in ("/alhikmah/audit", "/alhikmah/audit/export.csv", "/alhikmah/audit/export.xlsx"):
        assert client.get(path).status_code == 302
    login(client, "ketua.annur")
    for path in ("/alhikmah/audit", "/alhikmah/audit/export.csv", "/alhikmah/audit/export.xlsx"):
        assert client.get(path).status_code == 404


def test_exports_read_in_chunks_and_keep_the_order(app, coop, client):
    from koppontren.shell import audit_log as log

    for i in range(25):
        record("coop.updated", cooperative_id=coop.id, changed={"address": f"Jalan {i}"})
    db.session.commit()
    with app.test_request_context("/"):
        rows = list(log.stream(coop, log.Filters(action="coop.updated"), chunk=7))
        assert [r.details_text for r in rows][:2] == ["Perubahan: address: Jalan 24", "Perubahan: address: Jalan 23"]
        assert len(rows) == 25
        assert log.count(coop, log.Filters(date_from=date(2000, 1, 1), date_to=today())) == \
            db.session.query(AuditEvent).filter_by(cooperative_id=coop.id).count()
