"""The PostgreSQL balance check runs once per entry, not once per line.

The deferred constraint trigger of 0002 summed the whole entry for every inserted line, so an entry
of n lines cost n² row reads at commit: a member import's opening entry of 15,001 lines took about
25 seconds there. Now the event of a line skips the sum when the entry's line with the highest
line_no was inserted by the same (sub)transaction in the same or a later statement: that line's own
event is in the same firing batch (events of one batch were all queued before it began) and does the
sum over every line visible then. Everything else is summed as before: lines added to an entry of an
earlier transaction, lines inserted after a ``SET CONSTRAINTS … IMMEDIATE`` has already checked the
entry, and the entry row's own event — so every entry is still proved balanced at commit.

Revision ID: 0004_balance_check_once
Revises: 0003_members_savings
Create Date: 2026-12-01 18:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004_balance_check_once'
down_revision = '0003_members_savings'
branch_labels = None
depends_on = None

ONCE_PER_ENTRY = """
CREATE OR REPLACE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    eid bigint;
    d bigint;
    c bigint;
    n integer;
    t bigint;
    my_xmin xid;
    my_cmin bigint;
    top_line integer;
    top_xmin xid;
    top_cmin bigint;
BEGIN
    IF TG_TABLE_NAME = 'journal_entry' THEN
        eid := NEW.id;
    ELSE
        eid := NEW.entry_id;
        SELECT xmin, cmin::text::bigint INTO my_xmin, my_cmin FROM journal_line WHERE id = NEW.id;
        SELECT line_no, xmin, cmin::text::bigint INTO top_line, top_xmin, top_cmin FROM journal_line
         WHERE cooperative_id = NEW.cooperative_id AND entry_id = eid ORDER BY line_no DESC LIMIT 1;
        IF top_line > NEW.line_no AND top_xmin = my_xmin AND top_cmin >= my_cmin THEN
            RETURN NULL;
        END IF;
    END IF;
    SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*) INTO d, c, n
      FROM journal_line WHERE cooperative_id = NEW.cooperative_id AND entry_id = eid;
    SELECT total INTO t FROM journal_entry WHERE cooperative_id = NEW.cooperative_id AND id = eid;
    IF d <> c OR n < 2 OR d <> t THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: debit %, credit %, % lines, total %', eid, d, c, n, t
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

PER_LINE = """
            CREATE OR REPLACE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                eid bigint;
                d bigint;
                c bigint;
                n integer;
                t bigint;
            BEGIN
                IF TG_TABLE_NAME = 'journal_entry' THEN eid := NEW.id; ELSE eid := NEW.entry_id; END IF;
                SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*) INTO d, c, n
                  FROM journal_line WHERE cooperative_id = NEW.cooperative_id AND entry_id = eid;
                SELECT total INTO t FROM journal_entry WHERE cooperative_id = NEW.cooperative_id AND id = eid;
                IF d <> c OR n < 2 OR d <> t THEN
                    RAISE EXCEPTION 'journal entry % is unbalanced: debit %, credit %, % lines, total %', eid, d, c, n, t
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NULL;
            END $$;
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ONCE_PER_ENTRY)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PER_LINE)
