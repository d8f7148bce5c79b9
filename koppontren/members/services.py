"""The members' register: registering, editing, finding members, their numbering, and the
``member`` subledger the ledger checks journal lines against.

Every function takes the cooperative and scopes every query to it; an id from another cooperative
is indistinguishable from one that does not exist. Refusals raise MemberError and write nothing.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from koppontren.audit.services import ACTION_LABELS, record
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.members.models import CATEGORIES, GENDERS, Member, MemberSettings
from koppontren.operations import command, unit_of_work
from koppontren.tenancy.models import Cooperative


class MemberError(DomainError):
    """A refused change to the register. Codes: ``invalid_field``, ``duplicate_number``,
    ``duplicate_nik``, ``not_found``, ``not_active``, ``has_login``."""


CATEGORY_LABELS = {
    "santri": _l("Santri"),
    "ustadz": _l("Ustadz/ustadzah"),
    "karyawan": _l("Karyawan"),
    "pengurus": _l("Pengurus"),
    "alumni": _l("Alumni"),
    "masyarakat": _l("Masyarakat"),
}
GENDER_LABELS = {"L": _l("Laki-laki"), "P": _l("Perempuan")}
#: "Keluar" is also the log-out button: the status gets its own translation context
STATUS_LABELS = {"aktif": _l("Aktif"), "keluar": lazy_pgettext("status anggota", "Keluar"), "meninggal": _l("Meninggal")}
ACTION_LABELS.update({
    "member.registered": _l("Anggota didaftarkan"),
    "member.updated": _l("Data anggota diubah"),
    "member.exited": _l("Anggota keluar"),
    "member.imported": _l("Anggota diimpor"),
    "member.login_created": _l("Login anggota dibuat"),
    "member.numbering": _l("Penomoran anggota diubah"),
})

NIK_RE = re.compile(r"^\d{16}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]{5,28}$")
NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{0,29}$")
PREFIX_RE = re.compile(r"^[A-Za-z0-9./-]{0,10}$")
EDITABLE = ("name", "nik", "category", "gender", "birth_date", "phone", "address", "join_date")


@dataclass
class MemberData:
    """What a person types to register or edit a member (plain values, already parsed)."""

    name: str
    category: str
    join_date: date | None = None
    nik: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    address: str | None = None
    number: str | None = None  # blank: the next number of the cooperative's sequence


def mask_nik(nik: str | None) -> str:
    """``3507123405060001`` → ``3507********0001``: enough to recognise, not enough to misuse."""
    if not nik:
        return ""
    return nik[:4] + "*" * (len(nik) - 8) + nik[-4:]


# --- numbering -----------------------------------------------------------------------------------

def numbering(coop: Cooperative) -> MemberSettings:
    """The cooperative's numbering row (created on first use, in the caller's unit of work)."""
    row = db.session.scalar(select(MemberSettings).where(MemberSettings.cooperative_id == coop.id))
    if row is None:
        row = MemberSettings(cooperative_id=coop.id, number_prefix="A-", number_digits=4, last_number=0)
        db.session.add(row)
        db.session.flush()
    return row


@command("members.numbering")
def update_numbering(coop: Cooperative, *, prefix: str, digits: int, actor) -> MemberSettings:
    """The member numbering: ``prefix`` (up to 10 characters) and ``digits`` (1 to 10) of the next numbers."""
    prefix = (prefix or "").strip()
    if not PREFIX_RE.match(prefix):
        raise MemberError("invalid_field", _l("Awalan nomor paling banyak 10 huruf, angka, titik, garis miring atau tanda hubung."),
                          {"number_prefix": _l("Tidak sah.")})
    if not isinstance(digits, int) or not 1 <= digits <= 10:
        raise MemberError("invalid_field", _l("Jumlah digit nomor antara 1 dan 10."), {"number_digits": _l("Tidak sah.")})
    row = numbering(coop)
    row.number_prefix, row.number_digits = prefix, digits
    record("member.numbering", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), prefix=prefix, digits=digits)
    return row


def next_numbers(coop: Cooperative, count: int = 1) -> list[str]:
    """Take ``count`` numbers from the sequence, skipping numbers already used by hand. Atomic:
    the counter row is incremented with one UPDATE in the caller's transaction."""
    row = numbering(coop)
    db.session.execute(update(MemberSettings).where(MemberSettings.id == row.id)
                       .values(last_number=MemberSettings.last_number + count))
    db.session.refresh(row)
    first = row.last_number - count + 1
    numbers = [f"{row.number_prefix}{n:0{row.number_digits}d}" for n in range(first, row.last_number + 1)]
    taken = set(db.session.scalars(select(Member.number).where(Member.cooperative_id == coop.id, Member.number.in_(numbers))))
    if taken:  # someone typed these by hand: take further numbers instead
        free = [n for n in numbers if n not in taken]
        return free + next_numbers(coop, count - len(free))
    return numbers


# --- validation ----------------------------------------------------------------------------------

def clean(coop: Cooperative, data: MemberData, *, existing: Member | None = None, check_unique: bool = True) -> dict:
    """Check a member's details; return the cleaned column values or raise MemberError with every
    field's problem."""
    problems: dict[str, object] = {}
    values: dict[str, object] = {}
    for name, (value, problem) in (("name", _clean_name(data.name)), ("category", _clean_category(data.category)),
                                   ("nik", _clean_nik(data.nik)), ("gender", _clean_gender(data.gender)),
                                   ("phone", _clean_phone(data.phone)), ("address", _clean_address(data.address))):
        values[name] = value
        if problem is not None:
            problems[name] = problem
    join_date = data.join_date or (existing.join_date if existing else today())
    problems.update(_date_problems(join_date, data.birth_date))
    number, problem = _clean_number(data.number)
    if problem is not None:
        problems["number"] = problem
    if check_unique and not problems:
        problems.update(_taken(coop, number, values["nik"], existing.id if existing else -1))
    if problems:
        first = next(iter(problems.values()))
        raise MemberError("invalid_field", first, problems)
    return {"name": values["name"], "category": values["category"], "nik": values["nik"], "gender": values["gender"],
            "birth_date": data.birth_date, "phone": values["phone"], "address": values["address"], "join_date": join_date,
            "number": number}


# each _clean_<field> returns (the cleaned value, its problem or None)

def _clean_name(text: str | None):
    name = " ".join((text or "").split())
    if not name:
        return name, _l("Nama wajib diisi.")
    return name, (_l("Paling banyak 200 karakter.") if len(name) > 200 else None)


def _clean_category(text: str | None):
    category = (text or "").strip().lower()
    return category, (None if category in CATEGORIES else _l("Pilih salah satu kategori: %(list)s.", list=", ".join(CATEGORIES)))


def _clean_nik(text: str | None):
    nik = re.sub(r"[\s.-]", "", text or "") or None
    return nik, (_l("NIK harus 16 angka.") if nik is not None and not NIK_RE.match(nik) else None)


def _clean_gender(text: str | None):
    gender = (text or "").strip().upper() or None
    return gender, (_l("Isi L (laki-laki) atau P (perempuan).") if gender is not None and gender not in GENDERS else None)


def _clean_phone(text: str | None):
    phone = (text or "").strip() or None
    return phone, (_l("Nomor telepon tidak sah.") if phone is not None and not PHONE_RE.match(phone) else None)


def _clean_address(text: str | None):
    address = (text or "").strip() or None
    return address, (_l("Paling banyak 1000 karakter.") if address is not None and len(address) > 1000 else None)


def _clean_number(text: str | None):
    number = (text or "").strip() or None
    if number is not None and not NUMBER_RE.match(number):
        return number, _l("Nomor anggota: huruf, angka, titik, garis miring atau tanda hubung (paling banyak 30).")
    return number, None


def _date_problems(join_date: date, birth_date: date | None) -> dict[str, object]:
    """The join date is not in the future nor before 1950; the birth date not in the future, nor
    before 1900, nor after joining."""
    now = today()
    problems: dict[str, object] = {}
    if join_date > now:
        problems["join_date"] = _l("Tanggal masuk tidak boleh setelah hari ini.")
    elif join_date.year < 1950:
        problems["join_date"] = _l("Tanggal masuk tidak boleh sebelum tahun 1950.")
    if birth_date is None:
        return problems
    if birth_date > now:
        problems["birth_date"] = _l("Tanggal lahir tidak boleh setelah hari ini.")
    elif birth_date.year < 1900:
        problems["birth_date"] = _l("Tanggal lahir tidak sah.")
    elif birth_date > join_date:
        problems["join_date"] = _l("Tanggal masuk tidak boleh sebelum tanggal lahir.")
    return problems


def _taken(coop: Cooperative, number: str | None, nik: str | None, own_id: int) -> dict[str, object]:
    """The number or NIK already belongs to another member of the cooperative."""
    problems: dict[str, object] = {}
    if number and db.session.scalar(select(Member.id).where(Member.cooperative_id == coop.id, Member.number == number,
                                                            Member.id != own_id)):
        problems["number"] = _l("Nomor anggota %(n)s sudah dipakai.", n=number)
    if nik and db.session.scalar(select(Member.id).where(Member.cooperative_id == coop.id, Member.nik == nik, Member.id != own_id)):
        problems["nik"] = _l("NIK ini sudah terdaftar pada anggota lain.")
    return problems


# --- register and edit ---------------------------------------------------------------------------

def register_member(coop: Cooperative, data: MemberData, *, actor, commit: bool = True) -> Member:
    """Add a member to the register; the number is the next of the sequence unless one is given.
    ``commit=False`` only joins the transaction the caller holds (the data generator registers
    thousands of members in a few of its own units) instead of running as a unit of its own.

    Raises MemberError(code="invalid_field" | "conflict").
    """
    with unit_of_work() if commit else nullcontext():
        return _register(coop, data, actor)


def _register(coop: Cooperative, data: MemberData, actor) -> Member:
    values = clean(coop, data)
    try:
        number = values.pop("number") or next_numbers(coop)[0]
        member = Member(cooperative_id=coop.id, number=number, status="aktif", **values)
        db.session.add(member)
        db.session.flush()
    except IntegrityError:  # another registration took the number or NIK between our check and our insert
        raise _concurrent_change() from None
    record("member.registered", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=number, name=member.name)
    return member


@command("members.update")
def update_member(coop: Cooperative, member: Member, data: MemberData, *, actor) -> Member:
    """Change a member's details (not the number, not the status: exit is a savings action)."""
    if member.cooperative_id != coop.id:
        raise MemberError("not_found", _l("Anggota tidak ditemukan."))
    data.number = member.number
    values = clean(coop, data, existing=member)
    changed = [k for k in EDITABLE if getattr(member, k) != values[k]]
    for key in changed:
        setattr(member, key, values[key])
    if changed:
        record("member.updated", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=member.number,
               fields=",".join(changed))
    try:
        db.session.flush()
    except IntegrityError:  # another registration took the number or NIK between our check and our write
        raise _concurrent_change() from None
    return member


def _concurrent_change() -> MemberError:
    return MemberError("conflict", _l("Nomor anggota atau NIK ini baru saja dipakai pendaftaran lain; periksa lalu simpan lagi."))


def mark_left(coop: Cooperative, member: Member, *, status: str, day: date, reason: str | None) -> None:
    """Set a member's status to ``keluar`` or ``meninggal`` (a step of the savings exit, in its unit of work)."""
    if status not in ("keluar", "meninggal"):
        raise MemberError("invalid_field", _l("Status keluar tidak sah."), {"status": _l("Tidak sah.")})
    member.status, member.exit_date, member.exit_reason = status, day, (reason or "").strip()[:500] or None


# --- finding -------------------------------------------------------------------------------------

def get_member(coop: Cooperative, member_id: int) -> Member | None:
    if isinstance(member_id, bool) or not isinstance(member_id, int):
        return None
    return db.session.scalar(select(Member).where(Member.cooperative_id == coop.id, Member.id == member_id))


def get_by_number(coop: Cooperative, number: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.cooperative_id == coop.id, Member.number == (number or "").strip()))


def get_by_user(coop: Cooperative, user_id: int) -> Member | None:
    return db.session.scalar(select(Member).where(Member.cooperative_id == coop.id, Member.user_id == user_id))


def lock_member(coop: Cooperative, member_id: int) -> Member | None:
    """Load and lock a member's row for the rest of the transaction: the member's savings
    operations queue here (PostgreSQL row lock; SQLite writers are serialised already)."""
    return db.session.scalar(select(Member).where(Member.cooperative_id == coop.id, Member.id == member_id)
                             .with_for_update().execution_options(populate_existing=True))


def members_by_ids(coop: Cooperative, ids) -> dict[int, Member]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(select(Member).where(Member.cooperative_id == coop.id, Member.id.in_(ids)))}


def active_members(coop: Cooperative) -> list[Member]:
    return list(db.session.scalars(select(Member).where(Member.cooperative_id == coop.id, Member.status == "aktif")
                                   .order_by(Member.number)))


def eligible_for_year(coop: Cooperative, first: date, last: date, *, include_departed: bool = False) -> list:
    """Members who share a fiscal year's SHU (RULES.md §6), by number, as rows of (id, number, name):
    those who had joined by the year's last day and were still members on it (active now, or left
    after it); with ``include_departed`` also those who left during the year."""
    still_there = or_(Member.status == "aktif", Member.exit_date > last)
    if include_departed:
        still_there = or_(still_there, Member.exit_date >= first)
    db.session.flush()  # Core rows below (no ORM result handling), after any pending change
    return list(db.session.connection().execute(select(Member.id, Member.number, Member.name)
                                   .where(Member.cooperative_id == coop.id, Member.join_date <= last, still_there)
                                   .order_by(Member.number)))


def search(coop: Cooperative, *, text: str | None = None, category: str | None = None, status: str | None = None,
           page: int = 1, per_page: int = 50, nik_substring: bool = False) -> tuple[list[Member], int]:
    """The register filtered by name/number/phone text (and NIK: any part of it only with
    ``nik_substring`` — those who may see NIKs —, else the whole 16 digits, so a masked NIK cannot be
    guessed digit by digit through the search), category and status, by number."""
    stmt = select(Member).where(Member.cooperative_id == coop.id)
    if category:
        stmt = stmt.where(Member.category == category)
    if status:
        stmt = stmt.where(Member.status == status)
    if text and text.strip():
        needle = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{needle}%"
        nik = Member.nik.like(like, escape="\\") if nik_substring else Member.nik == text.strip()
        stmt = stmt.where(or_(func.lower(Member.name).like(like, escape="\\"), func.lower(Member.number).like(like, escape="\\"),
                              nik, Member.phone.like(like, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(db.session.scalars(stmt.order_by(Member.number).limit(per_page).offset((max(page, 1) - 1) * per_page)))
    return rows, int(total)


def count_by_status(coop: Cooperative) -> dict[str, int]:
    rows = db.session.execute(select(Member.status, func.count()).where(Member.cooperative_id == coop.id).group_by(Member.status))
    return {status: int(n) for status, n in rows}


# --- the ledger's member subledger -------------------------------------------------------------

#: session.info key: {coop id: member ids known to exist}, remembered for the current transaction only
_KNOWN = "members.known_ids"


def remember_existing(coop_id: int, member_ids) -> None:
    """Tell the subledger check that these members exist (the caller has just inserted them in this
    transaction), so a posting with thousands of member lines does not look each one up again."""
    db.session.info.setdefault(_KNOWN, {}).setdefault(coop_id, set()).update(member_ids)


@event.listens_for(Session, "after_transaction_end")
def _forget_known(session, transaction) -> None:
    """A rolled-back insert must not be remembered: the memo lives exactly as long as a transaction."""
    session.info.pop(_KNOWN, None)


def member_exists(coop_id: int, member_id: int) -> bool:
    """The ``member`` subledger's check (plugged into the ledger by ``members.wiring``)."""
    if member_id in db.session.info.get(_KNOWN, {}).get(coop_id, ()):
        return True
    return db.session.scalar(select(Member.id).where(Member.cooperative_id == coop_id, Member.id == member_id)) is not None


def member_id_by_number(coop_id: int, number: str) -> int | None:
    return db.session.scalar(select(Member.id).where(Member.cooperative_id == coop_id, Member.number == (number or "").strip()))


def member_label(coop_id: int, member_id: int) -> str:
    row = db.session.execute(select(Member.number, Member.name).where(Member.cooperative_id == coop_id, Member.id == member_id)).first()
    return f"{row.number} {row.name}" if row else str(member_id)


def next_number_preview(coop: Cooperative) -> str:
    """The number the next registration would get (shown on the form; not reserved)."""
    row = db.session.scalar(select(MemberSettings).where(MemberSettings.cooperative_id == coop.id))
    prefix, digits, last = (row.number_prefix, row.number_digits, row.last_number) if row else ("A-", 4, 0)
    return f"{prefix}{last + 1:0{digits}d}"


def login_of(member: Member) -> str | None:
    """The portal login linked to the member, if the treasurer created one."""
    from koppontren.auth.models import User

    if member.user_id is None:
        return None
    return db.session.scalar(select(User.login).where(User.id == member.user_id))


def numbering_values(coop: Cooperative) -> tuple[str, int]:
    """(prefix, digits) of the member numbers, without creating the settings row."""
    row = db.session.scalar(select(MemberSettings).where(MemberSettings.cooperative_id == coop.id))
    return (row.number_prefix, row.number_digits) if row else ("A-", 4)
