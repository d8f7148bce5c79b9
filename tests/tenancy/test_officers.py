"""The cooperative's officers (pengurus, pengawas, manajer) with their terms and the signing town:
the service's rules, and the settings page's section that edits them (admin)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from koppontren.tenancy import officers
from koppontren.tenancy.models import CoopOfficer
from koppontren.tenancy.services import TenancyError
from tests.helpers import login, refused_by_database

START = date(2025, 1, 1)
BOARD = [officers.Officer("ketua", "KH. Ahmad", START, date(2029, 12, 31)), officers.Officer("sekretaris", "Ust. Hasan", START),
         officers.Officer("bendahara", "Ibu Fatimah", START), officers.Officer("pengawas", "H. Rahmat", START)]


def _row(n: int, role: str, name: str, start: str = "2025-01-01", end: str = "") -> dict:
    return {f"officers-{n}-role": role, f"officers-{n}-name": name, f"officers-{n}-term_start": start, f"officers-{n}-term_end": end}


def test_the_list_is_replaced_whole_in_the_order_given_and_audited_with_before_and_after(build):
    coop = build.coop("alhikmah")
    officers.replace_officers(coop, BOARD, signing_town=" Kediri ")
    assert [(o.role, o.name, o.position) for o in officers.officers_of(coop)] == [
        ("ketua", "KH. Ahmad", 1), ("sekretaris", "Ust. Hasan", 2), ("bendahara", "Ibu Fatimah", 3), ("pengawas", "H. Rahmat", 4)]
    assert coop.signing_town == "Kediri"
    officers.replace_officers(coop, [*BOARD[:3], officers.Officer("pengawas", "Hj. Aisyah", START)], signing_town="Kediri")
    assert [o.name for o in officers.officers_of(coop)][-1] == "Hj. Aisyah"
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "coop.officers_changed").order_by(AuditEvent.id)))
    assert len(events) == 2
    assert "pengawas: H. Rahmat (2025-01-01–…)" in events[1].detail["before"]
    assert "pengawas: Hj. Aisyah (2025-01-01–…)" in events[1].detail["after"]
    officers.replace_officers(coop, officers.officers_of(coop), signing_town="Kediri")  # nothing changed: no third event
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(AuditEvent.action == "coop.officers_changed")) == 2


def test_each_cooperative_has_its_own_officers(build):
    a, b = build.coop("coop-a"), build.coop("coop-b")
    officers.replace_officers(a, BOARD, signing_town=None)
    assert officers.officers_of(b) == [] and len(officers.officers_of(a)) == 4


@pytest.mark.parametrize("board, field", [
    (BOARD[1:], "officers"),
    ([*BOARD, officers.Officer("sekretaris", "Dua", START)], "officers"),
    (BOARD[:3], "officers"),
    ([*BOARD, officers.Officer("manajer", "M1", START), officers.Officer("manajer", "M2", START)], "officers"),
    ([officers.Officer("ketua", "KH. Ahmad", START, date(2024, 1, 1)), *BOARD[1:]], "officers.1.term_end"),
    ([officers.Officer("ketua", "KH. Ahmad", None), *BOARD[1:]], "officers.1.term_start"),
    ([*BOARD[:3], officers.Officer("wakil", "X", START)], "officers.4.role"),
    ([*BOARD[:3], officers.Officer("pengawas", "x" * 201, START)], "officers.4.name"),
])
def test_a_board_breaking_a_rule_is_refused_and_the_old_one_stays(build, board, field):
    coop = build.coop("alhikmah")
    officers.replace_officers(coop, BOARD, signing_town="Kediri")
    with pytest.raises(TenancyError) as err:
        officers.replace_officers(coop, board, signing_town="Jombang")
    assert err.value.code == "invalid_officers" and field in err.value.fields
    db.session.rollback()
    assert [o.name for o in officers.officers_of(coop)] == [o.name for o in BOARD] and coop.signing_town == "Kediri"


def test_the_database_refuses_an_unknown_role_and_a_term_ending_before_it_starts(build):
    coop = build.coop("alhikmah")
    insert = ("INSERT INTO coop_officer (cooperative_id, role, name, term_start, term_end, position) "
              "VALUES (:c, :role, 'X', '2025-01-01', :end, 1)")
    assert "role" in refused_by_database(insert, {"c": coop.id, "role": "raja", "end": None})
    assert "term" in refused_by_database(insert, {"c": coop.id, "role": "ketua", "end": "2020-01-01"})
    assert db.session.scalars(select(CoopOfficer)).all() == []


def test_the_admin_edits_the_officers_on_the_settings_page(client, build):
    coop = build.coop("alhikmah")
    build.user("ketua", coop, "admin")
    login(client, "ketua")
    page = client.get("/alhikmah/settings").get_data(as_text=True)
    assert 'id="officers-form"' in page and "Kota tempat tanda tangan" in page
    data = {**_row(0, "ketua", "KH. Ahmad", end="2029-12-31"), **_row(1, "sekretaris", "Ust. Hasan"), **_row(2, "bendahara", "Ibu Fatimah"),
            **_row(3, "pengawas", "H. Rahmat"), **_row(4, "pengawas", ""), "signing_town": "Kediri"}
    response = client.post("/alhikmah/settings/officers", data=data)
    assert response.status_code == 302
    assert [(o.role, o.name, o.term_end) for o in officers.officers_of(coop)] == [
        ("ketua", "KH. Ahmad", date(2029, 12, 31)), ("sekretaris", "Ust. Hasan", None), ("bendahara", "Ibu Fatimah", None),
        ("pengawas", "H. Rahmat", None)]
    page = client.get("/alhikmah/settings").get_data(as_text=True)
    assert 'value="KH. Ahmad"' in page and 'value="Kediri"' in page


def test_the_page_shows_what_is_wrong_and_keeps_the_old_board(client, build):
    coop = build.coop("alhikmah")
    officers.replace_officers(coop, BOARD, signing_town="Kediri")
    build.user("ketua", coop, "admin")
    login(client, "ketua")
    data = {**_row(0, "ketua", "KH. Ahmad", end="2020-01-01"), **_row(1, "sekretaris", "Ust. Hasan"), **_row(2, "pengawas", "H. Rahmat")}
    response = client.post("/alhikmah/settings/officers", data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Akhir masa bakti sebelum awalnya." in text
    assert len(officers.officers_of(coop)) == 4


def test_only_the_admin_posts_the_officers(client, build):
    coop = build.coop("alhikmah")
    build.user("bendahara", coop, "treasurer")
    login(client, "bendahara")
    assert client.post("/alhikmah/settings/officers", data=_row(0, "ketua", "X")).status_code == 403
    assert officers.officers_of(coop) == []
