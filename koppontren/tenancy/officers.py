"""The cooperative's officers (pengurus, pengawas, manajer) and the town its documents are signed
in: read as a list, replaced as a whole (the page's section and ``PUT /officers`` both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from koppontren.audit.services import record
from koppontren.extensions import db
from koppontren.operations import command
from koppontren.tenancy.models import OFFICER_ROLES, Cooperative, CoopOfficer
from koppontren.tenancy.services import TenancyError

MAX_OFFICERS = 30
#: roles exactly one officer holds; pengawas: one or more; manajer: none or one
SINGLE_ROLES = ("ketua", "sekretaris", "bendahara")


@dataclass(frozen=True)
class Officer:
    """One officer as entered: ``role`` one of OFFICER_ROLES, ``name`` as printed under the
    signature, the term from ``term_start`` to ``term_end`` (None: not ended)."""

    role: str
    name: str
    term_start: date | None
    term_end: date | None = None


def officers_of(coop: Cooperative) -> list[CoopOfficer]:
    """The officers in the order they were given."""
    return list(db.session.scalars(select(CoopOfficer).where(CoopOfficer.cooperative_id == coop.id)
                                   .order_by(CoopOfficer.position, CoopOfficer.id)))


def _check_one(n: int, officer: Officer, problems: dict) -> None:
    """Problems of the officer on line ``n`` (counted from 1), under ``officers.n.<field>``."""
    where = f"officers.{n}."
    if officer.role not in OFFICER_ROLES:
        problems[where + "role"] = _l("Jabatan tidak dikenal.")
    if not (officer.name or "").strip():
        problems[where + "name"] = _l("Wajib diisi.")
    elif len(officer.name.strip()) > 200:
        problems[where + "name"] = _l("Paling banyak %(n)s karakter.", n=200)
    if not isinstance(officer.term_start, date):
        problems[where + "term_start"] = _l("Wajib diisi.")
    elif officer.term_end is not None and officer.term_end < officer.term_start:
        problems[where + "term_end"] = _l("Akhir masa bakti sebelum awalnya.")


def _check(officers: list[Officer], signing_town: str | None) -> None:
    """Raises TenancyError(``invalid_officers``) naming each problem: a line's own, then the board's
    (one ketua, one sekretaris, one bendahara, at least one pengawas, at most one manajer)."""
    problems: dict[str, object] = {}
    if len(officers) > MAX_OFFICERS:
        problems["officers"] = _l("Paling banyak %(n)s.", n=MAX_OFFICERS)
    for n, officer in enumerate(officers, start=1):
        _check_one(n, officer, problems)
    if signing_town is not None and len(signing_town) > 100:
        problems["signing_town"] = _l("Paling banyak %(n)s karakter.", n=100)
    if not problems:
        count = {role: sum(1 for o in officers if o.role == role) for role in OFFICER_ROLES}
        for role in SINGLE_ROLES:
            if count[role] != 1:
                problems.setdefault("officers", _l("Harus ada tepat satu %(r)s.", r=role))
        if count["pengawas"] < 1:
            problems.setdefault("officers", _l("Harus ada paling sedikit satu pengawas."))
        if count["manajer"] > 1:
            problems.setdefault("officers", _l("Paling banyak satu manajer."))
    if problems:
        raise TenancyError("invalid_officers", next(iter(problems.values())), problems)


@command("tenancy.replace_officers")
def replace_officers(coop: Cooperative, officers: list[Officer], *, signing_town: str | None, actor=None) -> list[CoopOfficer]:
    """The cooperative's officers become ``officers`` (the list before is gone) and its documents'
    signing town ``signing_town`` (blank: none). One unit of work: all or nothing; audited (``coop.officers_changed``)
    with the list before and after. Raises TenancyError(``invalid_officers``) with one field per problem."""
    signing_town = (signing_town or "").strip() or None
    officers = [Officer(o.role, (o.name or "").strip(), o.term_start, o.term_end) for o in officers]
    _check(officers, signing_town)
    before = [_describe(o) for o in officers_of(coop)]
    db.session.execute(delete(CoopOfficer).where(CoopOfficer.cooperative_id == coop.id))
    rows = [CoopOfficer(cooperative_id=coop.id, role=o.role, name=o.name, term_start=o.term_start, term_end=o.term_end, position=n)
            for n, o in enumerate(officers, start=1)]
    db.session.add_all(rows)
    after = [_describe(o) for o in rows]
    if before != after or coop.signing_town != signing_town:
        record("coop.officers_changed", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), before=before, after=after,
               signing_town=signing_town)
    coop.signing_town = signing_town
    return rows


def _describe(o) -> str:
    end = o.term_end.isoformat() if o.term_end else "…"
    return f"{o.role}: {o.name} ({o.term_start.isoformat()}–{end})"
