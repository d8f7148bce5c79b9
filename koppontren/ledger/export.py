"""The ledger as an hledger journal: plain-text accounting for auditors, and a peer to check the
project's balances against (``hledger balance`` on the same file must give the same figures).

Accounts are written as their path in the chart (``1 Aset:11 Aset Lancar:1101 Kas Besar``), so
hledger's tree report reads like the chart page; amounts in ``IDR`` with the cooperative's decimals,
debits positive and credits negative. Each transaction carries its voucher number as the code, the
journal type, source and hash as tags, and the subledger (member, party) on its postings. Entries are
streamed in posting order in batches, so a ledger of a million lines exports in constant memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import TextIO

from sqlalchemy import Row, select

from koppontren.extensions import db
from koppontren.ledger import subledgers
from koppontren.ledger.models import Account, JournalEntry, JournalLine
from koppontren.money import from_sen
from koppontren.tenancy.models import Cooperative

BATCH = 5000
_UNSAFE = re.compile(r"[;\s]+")


def _clean(text: str | None) -> str:
    """One line of text hledger reads as text: no newlines, tabs, comment marks or double spaces."""
    return _UNSAFE.sub(" ", text or "").strip()  # ';' starts a comment, two spaces end an account name


def _account_names(coop: Cooperative) -> dict[int, str]:
    accounts = {a.id: a for a in db.session.scalars(select(Account).where(Account.cooperative_id == coop.id))}

    def path(account: Account) -> str:
        parts = []
        node: Account | None = account
        while node is not None:
            parts.append(_clean(f"{node.code} {node.name_id}").replace(":", "-"))
            node = accounts.get(node.parent_id) if node.parent_id else None
        return ":".join(reversed(parts))

    return {aid: path(a) for aid, a in accounts.items()}


def _amount(sen: int, decimals: int) -> str:
    value = from_sen(sen)
    return f"IDR {value:.{decimals}f}" if decimals else f"IDR {value.quantize(Decimal(1))}"


_ENTRY_COLUMNS = (JournalEntry.id, JournalEntry.entry_date, JournalEntry.number, JournalEntry.description, JournalEntry.journal_type,
                  JournalEntry.source, JournalEntry.entry_hash, JournalEntry.reverses_id)
_LINE_COLUMNS = (JournalLine.entry_id, JournalLine.account_id, JournalLine.debit, JournalLine.credit, JournalLine.member_id,
                 JournalLine.party_id, JournalLine.memo)


def _entries(coop: Cooperative) -> Iterator[tuple[Row, list[Row]]]:
    """(entry, its lines) in posting order, as plain rows of the columns the journal needs: no ORM
    objects to build and forget (that made the export ~3 ms a line), constant memory per batch."""
    last = (None, 0)
    while True:
        stmt = (select(*_ENTRY_COLUMNS).where(JournalEntry.cooperative_id == coop.id)
                .order_by(JournalEntry.entry_date, JournalEntry.id).limit(BATCH))
        if last[0] is not None:
            stmt = stmt.where((JournalEntry.entry_date > last[0]) | ((JournalEntry.entry_date == last[0]) & (JournalEntry.id > last[1])))
        entries = db.session.execute(stmt).all()
        if not entries:
            return
        lines: dict[int, list[Row]] = {}
        for line in db.session.execute(select(*_LINE_COLUMNS).where(JournalLine.cooperative_id == coop.id,
                                                                     JournalLine.entry_id.in_([e.id for e in entries]))
                                       .order_by(JournalLine.entry_id, JournalLine.line_no)):
            lines.setdefault(line.entry_id, []).append(line)
        for entry in entries:
            yield entry, lines.get(entry.id, [])
        last = (entries[-1].entry_date, entries[-1].id)


def write_hledger(coop: Cooperative, out: TextIO, progress=None) -> int:
    """Write the cooperative's whole ledger to ``out``; returns the number of transactions.
    ``progress(n)`` is called after each batch with the number written so far."""
    names = _account_names(coop)
    decimals = coop.currency_decimals
    labels: dict[tuple[str, int], str] = {}

    def label(kind: str, record_id: int) -> str:
        key = (kind, record_id)
        if key not in labels:
            registered = subledgers.get(kind)
            text = registered.label(coop.id, record_id) if registered and registered.label else str(record_id)
            labels[key] = _clean(text.replace(",", " ").replace(":", "-"))
        return labels[key]

    out.write(f"; Koppontren ledger of {_clean(coop.name)} ({coop.slug}), exported for hledger\n")
    out.write("; debits are positive, credits negative; amounts in IDR\n")
    out.write(f"commodity IDR 1000.{'0' * decimals}\n\n")  # the decimal point tells hledger it is one
    for path in sorted(set(names.values())):
        out.write(f"account {path}\n")
    out.write("\n")
    count = 0
    for entry, lines in _entries(coop):
        tags = f"type:{entry.journal_type}, source:{_clean(entry.source)}, hash:{entry.entry_hash}"
        if entry.reverses_id:
            tags += ", reversal:yes"
        out.write(f"{entry.entry_date.isoformat()} * ({entry.number}) {_clean(entry.description)}  ; {tags}\n")
        for line in lines:
            sen = line.debit if line.debit else -line.credit
            comment = []
            if line.member_id:
                comment.append(f"member:{label('member', line.member_id)}")
            if line.party_id:
                comment.append(f"party:{label('party', line.party_id)}")
            memo = _clean(line.memo)
            if memo:
                comment.append(memo.replace(":", " "))
            suffix = f"  ; {', '.join(comment)}" if comment else ""
            out.write(f"    {names[line.account_id]}  {_amount(sen, decimals)}{suffix}\n")
        out.write("\n")
        count += 1
        if progress and count % BATCH == 0:
            progress(count)
    if progress:
        progress(count)
    return count
