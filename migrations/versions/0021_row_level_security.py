"""Row-level security on PostgreSQL (issue 19): the database itself refuses another cooperative's rows.

Every tenant table (every table with a ``cooperative_id`` column, found in the live schema) gets
``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` and two policies:

- ``koppontren_tenant``: rows of the cooperative named by the transaction's ``app.cooperative_id``
  (set with ``set_config(…, true)``, i.e. ``SET LOCAL``, by koppontren.tenancy.rls). Unset, it
  matches nothing: a query that forgot its cooperative fails closed, with no rows;
- ``koppontren_bypass``: every row while ``app.rls_bypass = 'on'`` — the explicit, audited way of
  operator and command-line work that spans cooperatives (``tenancy.rls.bypass``).

Three narrower policies let a request find what it needs before its cooperative is known: a
person's own role assignments (``app.user_id``: the session's user, to list their cooperatives and
check their roles), the one API token the request presents (``app.api_token_id``, whose hash the
app then compares), and appending — never reading — platform events (audit rows with no
cooperative: a login, a logout).

The work is done by two functions kept in the database, so that a later migration's table gets the
same by calling them (migrations/env.py calls them after every upgrade, and a test fails for a
tenant table without its policies): ``koppontren_secure_tenant_table(name)`` and
``koppontren_secure_schema()``, which secures every tenant table of the schema and grants the
app's role (``koppontren_app``, when it exists) its DML rights, on tables and sequences, now and
for tables made later. SQLite has no row-level security: nothing to do there.

Revision ID: 0021_row_level_security
Revises: 0020_cash_day
Create Date: 2026-12-08 00:30:00

"""
from alembic import op

revision = '0021_row_level_security'
down_revision = '0020_cash_day'
branch_labels = None
depends_on = None

APP_ROLE = "koppontren_app"

SECURE_TABLE = """
CREATE OR REPLACE FUNCTION koppontren_secure_tenant_table(tbl text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = current_schema() AND tablename = tbl
                 AND policyname = 'koppontren_tenant') THEN
    EXECUTE format($p$CREATE POLICY koppontren_tenant ON %I
      USING (cooperative_id = NULLIF(current_setting('app.cooperative_id', true), '')::bigint)
      WITH CHECK (cooperative_id = NULLIF(current_setting('app.cooperative_id', true), '')::bigint)$p$, tbl);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = current_schema() AND tablename = tbl
                 AND policyname = 'koppontren_bypass') THEN
    EXECUTE format($p$CREATE POLICY koppontren_bypass ON %I
      USING (current_setting('app.rls_bypass', true) = 'on')
      WITH CHECK (current_setting('app.rls_bypass', true) = 'on')$p$, tbl);
  END IF;
END
$fn$
"""

SECURE_SCHEMA = """
CREATE OR REPLACE FUNCTION koppontren_secure_schema() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE t text;
BEGIN
  FOR t IN SELECT c.table_name FROM information_schema.columns c
           JOIN information_schema.tables x ON x.table_schema = c.table_schema AND x.table_name = c.table_name
           WHERE c.table_schema = current_schema() AND c.column_name = 'cooperative_id'
             AND x.table_type = 'BASE TABLE'
  LOOP
    PERFORM koppontren_secure_tenant_table(t);
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {role}', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {role}', current_schema());
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {role}', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}',
                   current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO {role}', current_schema());
  END IF;
END
$fn$
""".replace("{role}", APP_ROLE)

#: (table, policy, command, USING, WITH CHECK): what a request may see or write before its cooperative is known
NARROW_POLICIES = (
    ("role_assignment", "koppontren_own_roles", "SELECT",
     "user_id = NULLIF(current_setting('app.user_id', true), '')::bigint", None),
    ("api_token", "koppontren_presented_token", "SELECT",
     "id = NULLIF(current_setting('app.api_token_id', true), '')::bigint", None),
    ("audit_event", "koppontren_platform_event", "INSERT", None, "cooperative_id IS NULL"),
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(SECURE_TABLE)
    op.execute(SECURE_SCHEMA)
    op.execute("SELECT koppontren_secure_schema()")
    for table, name, command, using, check in NARROW_POLICIES:
        clauses = (f" USING ({using})" if using else "") + (f" WITH CHECK ({check})" if check else "")
        op.execute(f"CREATE POLICY {name} ON {table} FOR {command}{clauses}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, name, _command, _using, _check in NARROW_POLICIES:
        op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
    op.execute("""
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT DISTINCT tablename FROM pg_policies WHERE schemaname = current_schema()
           AND policyname IN ('koppontren_tenant', 'koppontren_bypass')
  LOOP
    EXECUTE format('DROP POLICY IF EXISTS koppontren_tenant ON %I', t);
    EXECUTE format('DROP POLICY IF EXISTS koppontren_bypass ON %I', t);
    EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
  END LOOP;
END $$
""")
    op.execute("DROP FUNCTION IF EXISTS koppontren_secure_schema()")
    op.execute("DROP FUNCTION IF EXISTS koppontren_secure_tenant_table(text)")
