"""Catatan atas Laporan Keuangan (CALK): general information, accounting policies, details of the
main lines, member count, related parties, events after the reporting date — and sections other
modules add with :func:`register_note_section` (the SHU module adds the proposed SHU
distribution there, so statements never import shu)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from koppontren.members import services as members
from koppontren.statements import aggregates as agg
from koppontren.statements.builders import SIGN_MANAGEMENT, _chart, _label, column_date, long_date, period_phrase
from koppontren.statements.model import Column, ReportPeriod, Row, Section, Statement
from koppontren.tenancy.models import Cooperative

NoteBuilder = Callable[[Cooperative, ReportPeriod], "Section | None"]


@dataclass(frozen=True)
class _NoteSection:
    key: str
    builder: NoteBuilder
    order: int


_EXTRA: dict[str, _NoteSection] = {}


def register_note_section(key: str, builder: NoteBuilder, order: int = 100) -> None:
    """Add a section to every CALK: ``builder(coop, period)`` returns a Section (or None when it has
    nothing to say for that period, e.g. no SHU proposal yet). Sections print after the built-in
    ones by ``order``; registering the same key again replaces it (safe on app reload)."""
    _EXTRA[key] = _NoteSection(key, builder, order)


def registered_note_sections() -> list[str]:
    return [s.key for s in sorted(_EXTRA.values(), key=lambda s: (s.order, s.key))]


TEXT = [Column("text", "")]


def _text(key: str, title, paragraphs) -> Section:
    return Section(key, str(title), TEXT, [Row([str(p)], kind="text") for p in paragraphs if p])


def _detail(key: str, title, accounts, balances, as_of) -> Section:
    cols = [Column("label", str(_l("Uraian"))), Column("amount", column_date(as_of), "amount")]
    rows, total = [], 0
    for a in accounts:
        sign = 1 if a.normal_balance == "debit" else -1
        if a.type in ("liability", "equity"):
            sign = -1
        if a.type == "asset":
            sign = 1
        value = sign * balances.get(a.id, 0)
        if value:
            rows.append(Row([_label(a), value], key=f"account:{a.code}", code=a.code))
        total += value
    rows.append(Row([str(_l("Jumlah")), total], kind="total", key=f"total_{key}"))
    return Section(key, str(title), cols, rows)


def notes(coop: Cooperative, period: ReportPeriod, comparative: bool = False) -> Statement:
    """The CALK for the period ending ``period.date_to``."""
    chart = _chart(coop)
    as_of = period.date_to
    balances = agg.net_debit_as_of(coop, as_of)
    counts = members.count_by_status(coop)
    general = [
        _l("%(name)s adalah koperasi pondok pesantren yang berkedudukan di %(address)s.", name=coop.name,
           address=coop.address or str(_l("(alamat belum diisi)"))),
        _l("Nomor badan hukum: %(number)s.", number=coop.legal_number) if coop.legal_number else None,
        _l("Nomor Induk Koperasi (NIK): %(nik)s.", nik=coop.nik_koperasi) if coop.nik_koperasi else None,
        _l("Koperasi didirikan dan dibina bersama %(pesantren)s.", pesantren=coop.pesantren_name) if coop.pesantren_name else None,
        _l("Laporan keuangan ini meliputi periode %(start)s sampai dengan %(end)s.", start=long_date(period.date_from),
           end=long_date(period.date_to)),
        _l("Jumlah anggota pada %(date)s: %(active)s anggota aktif; %(left)s anggota telah keluar atau meninggal.",
           date=long_date(as_of), active=counts.get("aktif", 0), left=counts.get("keluar", 0) + counts.get("meninggal", 0)),
    ]
    policies = [
        _l("Laporan keuangan disusun berdasarkan Standar Akuntansi Keuangan Entitas Privat (SAK EP) dan Peraturan Menteri "
           "Koperasi tentang akuntansi koperasi, dengan dasar akrual dan biaya historis, dalam mata uang Rupiah."),
        _l("Simpanan pokok dan simpanan wajib anggota disajikan sebagai ekuitas; simpanan sukarela sebagai liabilitas jangka pendek."),
        _l("Persediaan dinilai dengan metode rata-rata tertimbang bergerak (moving average) dan dicatat secara perpetual."),
        _l("Pendapatan dari anggota (partisipasi anggota) dan dari non-anggota disajikan terpisah sesuai format koperasi."),
        _l("Laporan arus kas disusun dengan metode langsung; arus simpanan anggota disajikan sebagai aktivitas pendanaan."),
        _l("Tunggakan simpanan wajib tidak dicatat sebagai piutang; jumlahnya diungkapkan dalam daftar tunggakan."),
    ]
    cash = chart.postable(lambda a: a.cash_flow == "cash")
    receivables = chart.postable(lambda a: a.role in ("receivable_member", "receivable_nonmember", "receivable_allowance",
                                                      "loan_member", "loan_allowance", "other_receivable"))
    inventory = chart.postable(lambda a: a.subledger == "product" or (a.role or "").startswith("inventory"))
    fixed = chart.postable(lambda a: a.type == "asset" and a.statement_section == "aset_tidak_lancar")
    member_savings = chart.postable(lambda a: a.role in ("savings_principal", "savings_mandatory", "savings_voluntary", "savings_term"))
    sections = [
        _text("general", _l("1. Umum"), general),
        _text("policies", _l("2. Kebijakan akuntansi"), policies),
        _detail("cash", _l("3. Kas dan setara kas"), cash, balances, as_of),
        _detail("receivables", _l("4. Piutang"), receivables, balances, as_of),
        _detail("inventory", _l("5. Persediaan"), inventory, balances, as_of),
        _detail("fixed_assets", _l("6. Aset tidak lancar"), fixed, balances, as_of),
        _detail("member_savings", _l("7. Simpanan anggota"), member_savings, balances, as_of),
        _text("related_parties", _l("8. Pihak berelasi"), [
            _l("Pihak berelasi koperasi adalah %(pesantren)s (pendiri dan pembina), pengasuh pesantren, serta pengurus dan "
               "pengawas koperasi. Transaksi dengan pihak berelasi dilakukan dengan syarat yang sama dengan anggota lain.",
               pesantren=coop.pesantren_name or str(_l("pondok pesantren"))),
        ]),
        _text("subsequent_events", _l("9. Peristiwa setelah tanggal neraca"), [
            _l("Tidak ada peristiwa penting setelah %(date)s yang memerlukan penyesuaian laporan keuangan, kecuali yang "
               "diungkapkan oleh pengurus dalam Rapat Anggota Tahunan.", date=long_date(as_of)),
        ]),
    ]
    for extra in sorted(_EXTRA.values(), key=lambda s: (s.order, s.key)):
        section = extra.builder(coop, period)
        if section is not None:
            sections.append(section)
    return Statement(
        name="notes", title=str(_l("CATATAN ATAS LAPORAN KEUANGAN")), subtitle=period_phrase(coop, period), period=period,
        sections=sections, signatures=SIGN_MANAGEMENT, meta={"members_active": counts.get("aktif", 0)},
    )
