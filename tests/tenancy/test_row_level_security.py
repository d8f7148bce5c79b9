"""Row-level security, the second lock of tenancy (issue 19 point 4; tenancy.rls, migration 0021).

On PostgreSQL the app connects as ``koppontren_app`` and every tenant table forces a policy on the
transaction's ``app.cooperative_id``: a query that forgets its cooperative still gets only the
request's cooperative's rows, none without one, and work across cooperatives goes through the one
audited bypass. SQLite has no row-level security: those tests are skipped there, and the scoping
calls are no-ops (checked below).
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from flask import template_rendered
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.exc import DBAPIError

from koppontren.audit.models import AuditEvent
from koppontren.auth.models import Role
from koppontren.extensions import db
from koppontren.members.models import Member
from koppontren.members.services import MemberData, register_member
from koppontren.tenancy import rls
from tests.helpers import PASSWORD, login

pg_only = pytest.mark.usefixtures("postgres_required")


@pytest.fixture
def postgres_required(is_postgres):
    if not is_postgres:
        pytest.skip("row-level security exists on PostgreSQL only")


@pytest.fixture
def two_coops(build):
    """Coops A and B, two members in A and one in B, an admin of A."""
    a, b = build.coop("pesantren-a"), build.coop("pesantren-b")
    for coop, names in ((a, ("Ahmad", "Aisyah")), (b, ("Bilal",))):
        for name in names:
            register_member(coop, MemberData(name=name, category="santri", join_date=date(2026, 1, 5)), actor=None)
    admin = build.user("admin.a", a, Role.ADMIN)
    db.session.commit()
    return a, b, admin


def _names() -> list[str]:
    return sorted(db.session.scalars(select(Member.name)))


@pytest.fixture
def bypass_events(harness_scope):
    """The recorded bypasses, read with the suite's own view (a bypass here would record itself)."""

    def read() -> list[AuditEvent]:
        previous = rls.set_scope(harness_scope)
        try:
            return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == rls.BYPASS_ACTION)
                                           .order_by(AuditEvent.id)))
        finally:
            rls.set_scope(previous)

    return read


# --- the schema -----------------------------------------------------------------------------------

def _tenant_tables_of_metadata() -> set[str]:
    return {t.name for t in db.metadata.sorted_tables if "cooperative_id" in t.columns}


@pg_only
def test_every_tenant_table_forces_row_level_security_with_both_policies(app_ctx):
    """Every table with a cooperative_id — of the models' metadata and of the live schema, so that a
    table added later without its policies fails here — has RLS enabled and forced, the tenant
    policy on app.cooperative_id and the bypass policy."""
    live = set(db.session.scalars(text(
        "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND c.column_name = 'cooperative_id' AND t.table_type = 'BASE TABLE'")))
    expected = _tenant_tables_of_metadata()
    assert expected <= live
    assert {"member", "journal_line", "sale_line", "role_assignment", "audit_event"} <= expected
    flags = dict(db.session.execute(text(
        "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
        "WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'")).all())
    assert [t for t in sorted(live) if not flags.get(t)] == []
    policies = {(t, p): (qual, check) for t, p, qual, check in db.session.execute(text(
        "SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname = current_schema()"))}
    for table in sorted(live):
        qual, check = policies[(table, "koppontren_tenant")]
        assert "current_setting('app.cooperative_id'::text, true)" in qual and "cooperative_id =" in qual, table
        assert check == qual, table
        qual, check = policies[(table, "koppontren_bypass")]
        assert "current_setting('app.rls_bypass'::text, true) = 'on'::text" in qual and check == qual, table


@pg_only
def test_a_table_made_by_a_later_migration_is_secured_by_the_schema_function(app_ctx):
    """What migrations/env.py runs after every upgrade secures a new tenant table by itself."""
    owner = create_engine(app_ctx.config["MIGRATE_DATABASE_URI"])
    try:
        with owner.begin() as conn:
            conn.execute(text("CREATE TABLE later_tenant_table (id serial PRIMARY KEY, cooperative_id integer NOT NULL)"))
            conn.execute(text("SELECT koppontren_secure_schema()"))
            forced = conn.scalar(text("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class "
                                      "WHERE oid = 'later_tenant_table'::regclass"))
            policies = set(conn.scalars(text("SELECT policyname FROM pg_policies WHERE tablename = 'later_tenant_table'")))
            may_write = conn.scalar(text(f"SELECT has_table_privilege('{rls.APP_ROLE}', 'later_tenant_table', 'INSERT')"))
            conn.execute(text("DROP TABLE later_tenant_table"))
    finally:
        owner.dispose()
    assert forced and policies == set(rls.TENANT_POLICIES) and may_write


@pg_only
def test_the_app_connects_as_a_role_that_owns_nothing_and_cannot_bypass(app_ctx):
    """Superusers, table owners and BYPASSRLS roles are not bound by the policies: the app is none."""
    user, superuser, bypass = db.session.execute(text(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    owned = db.session.scalar(text(
        "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"))
    assert (user, superuser, bypass, owned) == (rls.APP_ROLE, False, False, 0)


# --- requests ---------------------------------------------------------------------------------------

def _inside_the_request(b_id: int) -> dict:
    """What deliberately unscoped statements find and may do, run inside the request (once its page
    is rendered): ``select(Member)`` with no filter, again after a commit (services commit and begin
    again), an UPDATE and an INSERT aimed at cooperative B."""
    seen = {"names": _names()}
    db.session.commit()
    seen["count_after_commit"] = db.session.scalar(select(func.count()).select_from(Member))
    seen["updated_in_b"] = db.session.execute(update(Member).where(Member.cooperative_id == b_id).values(name="X")).rowcount
    db.session.rollback()
    try:
        db.session.execute(text("INSERT INTO member (cooperative_id, number, name, category, status) "
                                "VALUES (:coop, 'B-1', 'Titipan', 'santri', 'aktif')"), {"coop": b_id})
    except DBAPIError as err:
        seen["insert_in_b"] = str(err.orig)
    db.session.rollback()
    return seen


@pg_only
def test_an_unscoped_query_in_a_cooperatives_request_gets_only_its_rows(app, client, two_coops):
    a, b, _admin = two_coops
    found: list[dict] = []

    def peek(sender, template, context, **extra):
        found.append(_inside_the_request(b.id))

    login(client, "admin.a", PASSWORD)
    with template_rendered.connected_to(peek, app):
        assert client.get(f"/{a.slug}/members").status_code == 200
    [seen] = found
    assert seen["names"] == ["Ahmad", "Aisyah"]  # B's Bilal stays out
    assert seen["count_after_commit"] == 2
    assert seen["updated_in_b"] == 0
    assert "row-level security" in seen["insert_in_b"]


@pg_only
def test_an_api_request_sees_only_its_tokens_cooperative(app, client, two_coops):
    from koppontren.auth import tokens

    a, b, admin = two_coops
    _row, plain = tokens.create_token(a, admin)
    with app.test_request_context(f"/api/v1/coops/{a.slug}/members", headers={"Authorization": f"Bearer {plain}"}):
        rls.set_scope(rls.NOTHING)
        found = tokens.authenticate(plain)
        assert found is not None and found[2].id == a.id
        assert _names() == ["Ahmad", "Aisyah"]
    # and through the API itself: B's path with A's token is not found
    assert client.get(f"/api/v1/coops/{b.slug}/members", headers={"Authorization": f"Bearer {plain}"}).status_code == 404
    listed = client.get(f"/api/v1/coops/{a.slug}/members", headers={"Authorization": f"Bearer {plain}"})
    assert listed.status_code == 200 and "Bilal" not in listed.get_data(as_text=True)


@pg_only
def test_without_a_cooperative_the_database_shows_and_takes_nothing(app, two_coops):
    a, _b, _admin = two_coops
    with app.app_context():
        rls.set_scope(rls.NOTHING)
        assert _names() == []
        assert db.session.scalar(text("SELECT count(*) FROM journal_line")) == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            db.session.execute(text("INSERT INTO member (cooperative_id, number, name, category, status) "
                                    "VALUES (:coop, 'A-9', 'Siapa', 'santri', 'aktif')"), {"coop": a.id})
        db.session.rollback()
    # the app's engine outside any app context (a thread of its own: the test holds one): no rows
    with app.app_context():
        engine = db.engine
    counted: list[int] = []

    def count() -> None:
        with engine.connect() as conn:
            counted.append(conn.scalar(text("SELECT count(*) FROM member")))

    worker = threading.Thread(target=count)
    worker.start()
    worker.join()
    assert counted == [0]


@pg_only
def test_the_bypass_sees_every_cooperative_and_is_audited(app, two_coops, bypass_events):
    with app.app_context():
        rls.set_scope(rls.NOTHING)
        with rls.bypass("test: count every member"):
            assert _names() == ["Ahmad", "Aisyah", "Bilal"]
            db.session.rollback()  # the work is undone; the record of the bypass stays
        assert _names() == []  # closed again after the block
        [event] = bypass_events()
    assert event.detail == {"reason": "test: count every member"}
    assert event.cooperative_id is None and event.ip_address is None  # a platform event, from outside a request


@pg_only
def test_the_operators_pages_run_in_the_audited_bypass(app, client, build, two_coops, bypass_events):
    build.user("operator.satu", operator=True)
    db.session.commit()
    login(client, "operator.satu", PASSWORD)
    page = client.get("/platform/coops")
    assert page.status_code == 200
    assert "pesantren-a" in page.get_data(as_text=True) and "pesantren-b" in page.get_data(as_text=True)
    [event] = bypass_events()
    assert event.detail["reason"] == "operator platform.coops" and event.login == "operator.satu" and event.ip_address is not None


@pg_only
def test_a_command_runs_in_the_audited_bypass(app, two_coops, no_harness_scope, bypass_events):
    with app.app_context():  # as the command line's own: no scope (the test holds the suite's)
        result = app.test_cli_runner().invoke(args=["check"])
        assert result.exit_code == 0, result.output
        assert "pesantren-a" in result.output and "pesantren-b" in result.output
        assert [e.detail["reason"] for e in bypass_events()] == ["cli koppontren check"]


@pg_only
def test_a_background_job_runs_in_the_audited_bypass(app, two_coops, no_harness_scope, bypass_events):
    from koppontren import jobs

    with app.app_context():
        status = jobs.submit(jobs.make_key("rls-test"), "koppontren.jobs:_test_job", {"text": "ok"})
        assert status.state == "done"
        assert [e.detail["reason"] for e in bypass_events()] == ["job koppontren.jobs:_test_job"]


# --- both databases --------------------------------------------------------------------------------

def test_a_cooperatives_pages_and_the_member_list_still_show_only_its_members(client, two_coops):
    """The same request, end to end, on both databases: A's admin sees A's members only."""
    a, _b, _admin = two_coops
    login(client, "admin.a", PASSWORD)
    page = client.get(f"/{a.slug}/members")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "Ahmad" in shown and "Bilal" not in shown


def test_scoping_changes_nothing_on_sqlite(app, two_coops, is_postgres, bypass_events):
    """SQLite has no row-level security: the scope is kept (it decides nothing) and a bypass
    records nothing, so the audit log is the same as before."""
    if is_postgres:
        pytest.skip("the SQLite side of the scoping")
    previous = rls.set_scope(rls.NOTHING)  # in the test's own context: SQLite has one writer at a time
    try:
        rls.use_cooperative(two_coops[0].id)
        assert rls.current() == rls.Scope(cooperative_id=two_coops[0].id)
        assert _names() == ["Ahmad", "Aisyah", "Bilal"]
        with rls.bypass("test"):
            assert _names() == ["Ahmad", "Aisyah", "Bilal"]
        assert bypass_events() == []
    finally:
        rls.set_scope(previous)


def test_an_admin_cannot_reset_an_account_that_also_opens_another_cooperative(client, build, two_coops, bypass_events,
                                                                               is_postgres):
    """A check across cooperatives made inside one cooperative's request (does the account hold a
    role elsewhere?) still sees the other cooperative — through the audited bypass on PostgreSQL,
    where A's request alone would see only A's roles and let A's admin take the account over."""
    a, b, _admin = two_coops
    shared = build.user("bendahara.dua", a, Role.TREASURER)
    build.user("bendahara.dua", b, Role.ADMIN)
    db.session.commit()
    login(client, "admin.a", PASSWORD)
    page = client.post(f"/{a.slug}/users/{shared.id}/reset-password", follow_redirects=True)
    assert "juga terdaftar di koperasi lain" in page.get_data(as_text=True)
    db.session.expire_all()
    assert not shared.must_change_password
    reasons = [e.detail["reason"] for e in bypass_events()]
    assert reasons == (["auth: does the account open another cooperative"] if is_postgres else [])


@pg_only
def test_leaving_the_bypass_closes_the_open_transaction_again_even_after_an_error(app, two_coops):
    a, _b, _admin = two_coops
    with app.app_context():
        rls.set_scope(rls.NOTHING)
        rls.use_cooperative(a.id)
        with pytest.raises(LookupError), rls.bypass("test: a domain error inside"):
            assert len(_names()) == 3
            raise LookupError("refused")
        assert _names() == ["Ahmad", "Aisyah"]  # the same transaction: A's rows again
        with pytest.raises(DBAPIError, match="division by zero"), rls.bypass("test: a failed statement inside"):
            db.session.execute(text("SELECT 1 / 0"))
        db.session.rollback()
        assert rls.current() == rls.Scope(cooperative_id=a.id) and _names() == ["Ahmad", "Aisyah"]
