"""Builders: pure functions (cooperative, period[, comparative]) -> Statement (RULES.md §5).

Each builder reads the ledger with the aggregates of ``aggregates`` (a few grouped sums, whatever
the number of lines), arranges the accounts by their ``statement_section`` / ``cash_flow`` / role
(never by literal codes) and returns a :class:`~koppontren.statements.model.Statement`. Amounts
are sen; labels are in the current locale. With ``comparative=True`` the two-column statements
carry the same figures for the prior year beside the current ones.

Year-end close: the closing entry (PN) zeroes revenue and expense into 3108 on the last day of the
year. The PHU and the equity statement take it out (a closed year's PHU still shows its result);
the Neraca keeps it, so after the close the year's SHU stands on 3108 and the "SHU belum ditutup"
line is zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l

from koppontren.ledger.fiscal import fiscal_year_bounds, fiscal_year_of
from koppontren.ledger.models import Account
from koppontren.statements import aggregates as agg
from koppontren.statements.model import Column, ReportPeriod, Row, Section, Statement
from koppontren.tenancy.models import Cooperative

SIGN_MANAGEMENT = ("ketua", "bendahara")
SIGN_WITH_SUPERVISOR = ("ketua", "bendahara", "pengawas")


def _locale() -> str:
    loc = get_locale()
    return str(loc.language) if loc else "id"


def long_date(day: date) -> str:
    return format_date(day, "d MMMM y")


def column_date(day: date) -> str:
    return format_date(day, "dd/MM/y")


def is_fiscal_year(coop: Cooperative, period: ReportPeriod) -> bool:
    fy = fiscal_year_of(period.date_from, coop.fiscal_year_start_month)
    return fiscal_year_bounds(fy, coop.fiscal_year_start_month) == (period.date_from, period.date_to)


def as_of_phrase(day: date) -> str:
    return str(_l("PER %(date)s", date=long_date(day).upper()))


def period_phrase(coop: Cooperative, period: ReportPeriod) -> str:
    """"UNTUK TAHUN YANG BERAKHIR 31 DESEMBER 2025" for a fiscal year, else the two dates."""
    if is_fiscal_year(coop, period):
        return str(_l("UNTUK TAHUN YANG BERAKHIR %(date)s", date=long_date(period.date_to).upper()))
    return str(_l("UNTUK PERIODE %(start)s SAMPAI DENGAN %(end)s", start=long_date(period.date_from).upper(),
                  end=long_date(period.date_to).upper()))


def _amount_columns(label: str, period: ReportPeriod, comparative: ReportPeriod | None, as_of: bool) -> list[Column]:
    def head(p: ReportPeriod) -> str:
        return column_date(p.date_to) if as_of else f"{column_date(p.date_from)} – {column_date(p.date_to)}"

    columns = [Column("label", label), Column("amount", head(period), "amount")]
    if comparative is not None:
        columns.append(Column("prior", head(comparative), "amount"))
    return columns


def _row(label, cur: int | None, pri: int | None, comparative: bool, **kw) -> Row:
    values = [str(label), cur]
    if comparative:
        values.append(pri)
    return Row(values, **kw)


@dataclass
class _Chart:
    """The chart, with what the builders ask of it."""

    accounts: list[Account]

    def by_id(self) -> dict[int, Account]:
        return {a.id: a for a in self.accounts}

    def postable(self, pred: Callable[[Account], bool]) -> list[Account]:
        return [a for a in self.accounts if a.postable and pred(a)]


def _chart(coop: Cooperative) -> _Chart:
    return _Chart(agg.accounts(coop))


def _label(account: Account) -> str:
    return account.name(_locale())


# --- Neraca ----------------------------------------------------------------------------------------

ASSET_SECTIONS = (("aset_lancar", _l("Aset lancar")), ("aset_tidak_lancar", _l("Aset tidak lancar")))
LIABILITY_SECTIONS = (("liabilitas_jangka_pendek", _l("Liabilitas jangka pendek")),
                      ("liabilitas_jangka_panjang", _l("Liabilitas jangka panjang")))
RESULT_TYPES = ("revenue", "expense")


def _bs_section(account: Account) -> str:
    if account.type == "asset":
        return account.statement_section if account.statement_section in ("aset_lancar", "aset_tidak_lancar") else "aset_lancar"
    if account.type == "liability":
        return (account.statement_section if account.statement_section in ("liabilitas_jangka_pendek", "liabilitas_jangka_panjang")
                else "liabilitas_jangka_pendek")
    return account.type


def _unclosed_result(chart: _Chart, net_debit: dict[int, int]) -> int:
    """Revenue − expense not yet closed into 3108 (sen; a loss is negative)."""
    return -sum(net_debit.get(a.id, 0) for a in chart.accounts if a.type in RESULT_TYPES)


def balance_sheet(coop: Cooperative, period: ReportPeriod, comparative: bool = False) -> Statement:
    """Laporan Posisi Keuangan (Neraca) as of ``period.date_to``: aset lancar and tidak lancar
    (contra accounts negative, printed in parentheses), liabilitas jangka pendek and panjang,
    ekuitas with the not-yet-closed result as "SHU tahun berjalan belum ditutup". Total assets =
    total liabilities + equity, always (the ledger balances)."""
    chart = _chart(coop)
    prior = period.prior_year() if comparative else None
    cur = agg.net_debit_as_of(coop, period.date_to)
    pri = agg.net_debit_as_of(coop, prior.date_to) if prior else {}
    cols = _amount_columns(str(_l("Uraian")), period, prior, as_of=True)
    totals: dict[str, int] = {}

    def group(key: str, title, accounts: list[Account], sign: int, rows: list[Row]) -> tuple[int, int]:
        rows.append(_row(title, None, None, comparative, kind="heading", key=f"heading_{key}"))
        c_sum = p_sum = 0
        for a in accounts:
            c, p = sign * cur.get(a.id, 0), sign * pri.get(a.id, 0)
            if c or p:
                rows.append(_row(_label(a), c, p, comparative, key=f"account:{a.code}", code=a.code, level=1))
            c_sum += c
            p_sum += p
        rows.append(_row(_l("Jumlah %(what)s", what=str(title).lower()), c_sum, p_sum, comparative, kind="subtotal", key=f"total_{key}"))
        totals[f"total_{key}"] = c_sum
        return c_sum, p_sum

    asset_rows: list[Row] = []
    ta = tp = 0
    for key, title in ASSET_SECTIONS:
        c, p = group(key, title, chart.postable(lambda a, k=key: a.type == "asset" and _bs_section(a) == k), 1, asset_rows)
        ta, tp = ta + c, tp + p
    asset_rows.append(_row(_l("JUMLAH ASET"), ta, tp, comparative, kind="total", key="total_assets"))

    le_rows: list[Row] = []
    tl = tlp = 0
    for key, title in LIABILITY_SECTIONS:
        c, p = group(key, title, chart.postable(lambda a, k=key: a.type == "liability" and _bs_section(a) == k), -1, le_rows)
        tl, tlp = tl + c, tlp + p
    le_rows.append(_row(_l("Jumlah liabilitas"), tl, tlp, comparative, kind="subtotal", key="total_liabilities"))

    le_rows.append(_row(_l("Ekuitas"), None, None, comparative, kind="heading", key="heading_ekuitas"))
    te = tep = 0
    for a in chart.postable(lambda a: a.type == "equity"):
        c, p = -cur.get(a.id, 0), -pri.get(a.id, 0)
        if c or p:
            le_rows.append(_row(_label(a), c, p, comparative, key=f"account:{a.code}", code=a.code, level=1))
        te, tep = te + c, tep + p
    uc, up = _unclosed_result(chart, cur), _unclosed_result(chart, pri)
    if uc or up:
        le_rows.append(_row(_l("SHU tahun berjalan belum ditutup"), uc, up, comparative, key="unclosed_result", level=1))
    te, tep = te + uc, tep + up
    le_rows.append(_row(_l("Jumlah ekuitas"), te, tep, comparative, kind="subtotal", key="total_equity"))
    le_rows.append(_row(_l("JUMLAH LIABILITAS DAN EKUITAS"), tl + te, tlp + tep, comparative, kind="total",
                        key="total_liabilities_equity"))
    totals.update(total_assets=ta, total_liabilities=tl, total_equity=te, total_liabilities_equity=tl + te, unclosed_result=uc)
    return Statement(
        name="balance-sheet", title=str(_l("LAPORAN POSISI KEUANGAN (NERACA)")), subtitle=as_of_phrase(period.date_to),
        period=period, comparative=prior, totals=totals, signatures=SIGN_MANAGEMENT,
        sections=[Section("assets", str(_l("ASET")), cols, asset_rows),
                  Section("liabilities_equity", str(_l("LIABILITAS DAN EKUITAS")), cols, le_rows)],
    )


# --- PHU -------------------------------------------------------------------------------------------

#: (section, label, +1 income / −1 expense). The income sections show net credit, the expense
#: sections net debit; "pendapatan dan beban lain" shows each line as net credit (beban negative).
PHU_GROUPS = {
    "partisipasi_anggota": (_l("Partisipasi bruto anggota"), 1),
    "beban_pokok_anggota": (_l("Beban pokok anggota"), -1),
    "pendapatan_non_anggota": (_l("Pendapatan dari non-anggota"), 1),
    "hpp_non_anggota": (_l("Harga pokok penjualan non-anggota"), -1),
    "beban_usaha": (_l("Beban usaha"), -1),
    "beban_perkoperasian": (_l("Beban perkoperasian"), -1),
    "pendapatan_beban_lain": (_l("Pendapatan dan beban lain-lain"), 1),
    "pajak": (_l("Beban pajak penghasilan"), -1),
}


def _phu_section(account: Account) -> str:
    if account.statement_section in PHU_GROUPS:
        return account.statement_section
    return "pendapatan_beban_lain" if account.type == "revenue" else "beban_usaha"


def _result_net_credit(coop: Cooperative, period: ReportPeriod) -> dict[int, int]:
    return {aid: c - d for aid, (d, c) in agg.movements_without(coop, period.date_from, period.date_to).items()}


def income_statement(coop: Cooperative, period: ReportPeriod, comparative: bool = False) -> Statement:
    """Laporan Perhitungan Hasil Usaha for the period, in the cooperative format (RULES.md §5):
    partisipasi neto anggota, laba kotor non-anggota, SHU kotor, SHU usaha, SHU sebelum and setelah
    pajak. The closing entry is left out, so a closed year shows its result. SHU setelah pajak =
    revenue − expense of the period."""
    chart = _chart(coop)
    prior = period.prior_year() if comparative else None
    cur = _result_net_credit(coop, period)
    pri = _result_net_credit(coop, prior) if prior else {}
    results = chart.postable(lambda a: a.type in RESULT_TYPES)
    rows: list[Row] = []
    sums: dict[str, tuple[int, int]] = {}
    for key, (title, sign) in PHU_GROUPS.items():
        accounts = [a for a in results if _phu_section(a) == key]
        c_sum = p_sum = 0
        items = []
        for a in accounts:
            c, p = sign * cur.get(a.id, 0), sign * pri.get(a.id, 0)
            if c or p:
                items.append(_row(_label(a), c, p, comparative, key=f"account:{a.code}", code=a.code, level=1))
            c_sum, p_sum = c_sum + c, p_sum + p
        sums[key] = (c_sum * sign, p_sum * sign)  # contribution to SHU
        rows.append(_row(title, None, None, comparative, kind="heading", key=f"heading_{key}"))
        rows.extend(items)
        rows.append(_row(_l("Jumlah %(what)s", what=str(title).lower()), c_sum, p_sum, comparative, kind="subtotal", key=f"total_{key}"))

        def line(label, key_, parts):
            c = sum(sums[k][0] for k in parts)
            p = sum(sums[k][1] for k in parts)
            rows.append(_row(label, c, p, comparative, kind="total", key=key_))
            return c

        if key == "beban_pokok_anggota":
            line(_l("PARTISIPASI NETO ANGGOTA"), "partisipasi_neto", ("partisipasi_anggota", "beban_pokok_anggota"))
        elif key == "hpp_non_anggota":
            line(_l("LABA (RUGI) KOTOR DENGAN NON-ANGGOTA"), "laba_kotor_non_anggota", ("pendapatan_non_anggota", "hpp_non_anggota"))
            line(_l("SHU KOTOR"), "shu_kotor", ("partisipasi_anggota", "beban_pokok_anggota", "pendapatan_non_anggota", "hpp_non_anggota"))
        elif key == "beban_usaha":
            line(_l("SHU USAHA"), "shu_usaha", tuple(list(PHU_GROUPS)[:5]))
        elif key == "pendapatan_beban_lain":
            line(_l("SHU SEBELUM PAJAK"), "shu_sebelum_pajak", tuple(list(PHU_GROUPS)[:7]))
        elif key == "pajak":
            line(_l("SHU SETELAH PAJAK"), "shu_setelah_pajak", tuple(PHU_GROUPS))
    totals = {k: v for k, v in ((r.key, r.values[1]) for r in rows if r.kind == "total")}
    totals["revenue"] = sum(cur.get(a.id, 0) for a in results if a.type == "revenue")
    totals["expense"] = -sum(cur.get(a.id, 0) for a in results if a.type == "expense")
    cols = _amount_columns(str(_l("Uraian")), period, prior, as_of=False)
    return Statement(
        name="income-statement", title=str(_l("LAPORAN PERHITUNGAN HASIL USAHA")), subtitle=period_phrase(coop, period),
        period=period, comparative=prior, totals=totals, signatures=SIGN_MANAGEMENT,
        sections=[Section("phu", str(_l("PERHITUNGAN HASIL USAHA")), cols, rows)],
    )


# --- Perubahan ekuitas -------------------------------------------------------------------------------

EQUITY_COLUMNS = (
    ("pokok", _l("Simpanan pokok"), ("savings_principal",)),
    ("wajib", _l("Simpanan wajib"), ("savings_mandatory",)),
    ("penyertaan", _l("Modal penyertaan"), ("participation_capital",)),
    ("hibah", _l("Hibah"), ("grant",)),
    ("cadangan", _l("Cadangan"), ("reserve", "reserve_risk")),
    ("shu", _l("SHU belum dibagi"), ("shu_prior", "shu_current")),
)


def _equity_column(account: Account) -> str:
    for key, _caption, roles in EQUITY_COLUMNS:
        if account.role in roles:
            return key
    return "lainnya"


def _equity_table(coop: Cooperative, chart: _Chart, period: ReportPeriod) -> tuple[dict[str, dict[str, int]], list[str]]:
    """row -> column -> sen for one period; and the columns in use."""
    equity = chart.postable(lambda a: a.type == "equity")
    col_of = {a.id: _equity_column(a) for a in equity}
    keys = [k for k, _l_, _r in EQUITY_COLUMNS]
    if "lainnya" in col_of.values():
        keys.append("lainnya")
    opening_nd = agg.net_debit_as_of(coop, agg.day_before(period.date_from))
    closing_nd = agg.net_debit_as_of(coop, period.date_to)
    moves = agg.movements(coop, period.date_from, period.date_to)
    special = agg.typed_movements(coop, period.date_from, period.date_to, (agg.CLOSING, agg.SHU_DISTRIBUTION))
    table = {r: dict.fromkeys(keys, 0) for r in ("opening", "deposits", "withdrawals", "distribution", "result", "closing")}
    for a in equity:
        col = col_of[a.id]
        d, c = moves.get(a.id, (0, 0))
        for jt in (agg.CLOSING, agg.SHU_DISTRIBUTION):
            sd, sc = special.get((jt, a.id), (0, 0))
            d, c = d - sd, c - sc
            if jt == agg.SHU_DISTRIBUTION:
                table["distribution"][col] += sc - sd
        table["opening"][col] -= opening_nd.get(a.id, 0)
        table["closing"][col] -= closing_nd.get(a.id, 0)
        table["deposits"][col] += c
        table["withdrawals"][col] -= d
    table["opening"]["shu"] += _unclosed_result(chart, opening_nd)
    table["closing"]["shu"] += _unclosed_result(chart, closing_nd)
    result_ids = {a.id for a in chart.accounts if a.type in RESULT_TYPES}
    table["result"]["shu"] += sum(v for aid, v in _result_net_credit(coop, period).items() if aid in result_ids)
    return table, keys


EQUITY_ROWS = (
    ("opening", _l("Saldo awal"), "subtotal"),
    ("deposits", _l("Setoran"), "item"),
    ("withdrawals", _l("Penarikan / anggota keluar"), "item"),
    ("distribution", _l("Pembagian SHU"), "item"),
    ("result", _l("SHU tahun berjalan"), "item"),
    ("closing", _l("Saldo akhir"), "total"),
)


def equity_changes(coop: Cooperative, period: ReportPeriod, comparative: bool = False) -> Statement:
    """Laporan Perubahan Ekuitas: a column per equity group (pokok, wajib, penyertaan, hibah,
    cadangan, SHU belum dibagi), rows saldo awal, setoran, penarikan/anggota keluar, pembagian SHU,
    SHU tahun berjalan, saldo akhir. The saldo akhir's Jumlah equals the Neraca's equity."""
    chart = _chart(coop)
    sections = []
    totals: dict[str, int] = {}
    periods = [("current", period)] + ([("prior", period.prior_year())] if comparative else [])
    for tag, p in periods:
        table, keys = _equity_table(coop, chart, p)
        labels = {k: str(lbl) for k, lbl, _r in EQUITY_COLUMNS} | {"lainnya": str(_l("Lain-lain"))}
        cols = [Column("label", str(_l("Uraian")))] + [Column(k, labels[k], "amount") for k in keys] + [
            Column("total", str(_l("Jumlah")), "amount")]
        rows = []
        for rkey, rlabel, kind in EQUITY_ROWS:
            values = [table[rkey][k] for k in keys]
            rows.append(Row([str(rlabel), *values, sum(values)], kind=kind, key=rkey if tag == "current" else f"prior_{rkey}"))
        if tag == "current":
            totals = {f"{r}": sum(table[r].values()) for r in table}
        title = f"{column_date(p.date_from)} – {column_date(p.date_to)}"
        sections.append(Section(f"equity_{tag}", title, cols, rows))
    return Statement(
        name="equity-changes", title=str(_l("LAPORAN PERUBAHAN EKUITAS")), subtitle=period_phrase(coop, period),
        period=period, comparative=period.prior_year() if comparative else None, totals=totals,
        signatures=SIGN_MANAGEMENT, sections=sections, landscape=True,
    )


# --- Arus kas ----------------------------------------------------------------------------------------

CASH_SECTIONS = (
    ("operating", _l("Arus kas dari aktivitas operasi"), _l("Arus kas bersih dari aktivitas operasi")),
    ("investing", _l("Arus kas dari aktivitas investasi"), _l("Arus kas bersih dari aktivitas investasi")),
    ("financing", _l("Arus kas dari aktivitas pendanaan"), _l("Arus kas bersih dari aktivitas pendanaan")),
)
SAVINGS_ROLES = ("savings_principal", "savings_mandatory", "savings_voluntary", "savings_term", "exit_payable")


def _cash_category(account: Account, savings_as_operating: bool) -> str:
    if savings_as_operating and account.role in SAVINGS_ROLES:
        return "operating"
    return account.cash_flow if account.cash_flow in ("investing", "financing") else "operating"


def cash_flow(coop: Cooperative, period: ReportPeriod, comparative: bool = False, savings_as_operating: bool = False) -> Statement:
    """Laporan Arus Kas, direct method (RULES.md §5): only entries that touch a ``cash`` account
    count; each one's cash movement is split over the categories of its non-cash lines (Σ credit −
    Σ debit); ``noncash`` lines count as operating; transfers between cash accounts net to zero.
    Simpanan flows are financing (``savings_as_operating`` for a savings-and-loan presentation).
    Kas awal + the three sections = kas akhir = the cash accounts' balances."""
    chart = _chart(coop)
    prior = period.prior_year() if comparative else None
    cash_accounts = chart.postable(lambda a: a.cash_flow == "cash")
    cash_ids = [a.id for a in cash_accounts]
    by_id = chart.by_id()

    def figures(p: ReportPeriod):
        flows = agg.cash_flows(coop, p.date_from, p.date_to, cash_ids)
        opening = agg.net_debit_as_of(coop, agg.day_before(p.date_from))
        closing = agg.net_debit_as_of(coop, p.date_to)
        return flows, {i: opening.get(i, 0) for i in cash_ids}, {i: closing.get(i, 0) for i in cash_ids}

    cur_flows, cur_open, cur_close = figures(period)
    pri_flows, pri_open, pri_close = figures(prior) if prior else ({}, {}, {})
    rows: list[Row] = []
    totals: dict[str, int] = {}
    net_c = net_p = 0
    for key, title, subtotal in CASH_SECTIONS:
        rows.append(_row(title, None, None, comparative, kind="heading", key=f"heading_{key}"))
        ids = sorted({*cur_flows, *pri_flows}, key=lambda i: by_id[i].code)
        c_sum = p_sum = 0
        for aid in ids:
            a = by_id[aid]
            if _cash_category(a, savings_as_operating) != key:
                continue
            c, p = cur_flows.get(aid, 0), pri_flows.get(aid, 0)
            if c or p:
                rows.append(_row(_label(a), c, p, comparative, key=f"account:{a.code}", code=a.code, level=1))
            c_sum, p_sum = c_sum + c, p_sum + p
        rows.append(_row(subtotal, c_sum, p_sum, comparative, kind="subtotal", key=key))
        totals[key] = c_sum
        net_c, net_p = net_c + c_sum, net_p + p_sum
    oc, op = sum(cur_open.values()), sum(pri_open.values())
    cc, cp = sum(cur_close.values()), sum(pri_close.values())
    rows.append(_row(_l("KENAIKAN (PENURUNAN) BERSIH KAS"), net_c, net_p, comparative, kind="total", key="net_change"))
    rows.append(_row(_l("Kas dan setara kas awal periode"), oc, op, comparative, kind="subtotal", key="cash_opening"))
    rows.append(_row(_l("KAS DAN SETARA KAS AKHIR PERIODE"), cc, cp, comparative, kind="total", key="cash_closing"))
    detail = [_row(_label(a), cur_close[a.id], pri_close.get(a.id, 0), comparative, key=f"cash:{a.code}", code=a.code, level=1)
              for a in cash_accounts if cur_close[a.id] or pri_close.get(a.id, 0)]
    totals.update(net_change=net_c, cash_opening=oc, cash_closing=cc)
    cols = _amount_columns(str(_l("Uraian")), period, prior, as_of=False)
    return Statement(
        name="cash-flow", title=str(_l("LAPORAN ARUS KAS")), subtitle=period_phrase(coop, period), period=period,
        comparative=prior, totals=totals, signatures=SIGN_MANAGEMENT,
        sections=[Section("cash_flow", str(_l("ARUS KAS (METODE LANGSUNG)")), cols, rows),
                  Section("cash_accounts", str(_l("Rincian kas dan setara kas akhir periode")), cols, detail)],
    )


# --- Neraca saldo, Buku besar, Jurnal umum ------------------------------------------------------------

def trial_balance(coop: Cooperative, period: ReportPeriod, comparative: bool = False) -> Statement:
    """Neraca Saldo: each account's movements in the period and its balance at the end of it, in the
    debit or credit column. Σ debit = Σ credit in both pairs of columns."""
    chart = _chart(coop)
    moves = agg.movements(coop, period.date_from, period.date_to)
    closing = agg.net_debit_as_of(coop, period.date_to)
    cols = [Column("code", str(_l("Kode")), "code"), Column("name", str(_l("Nama akun"))),
            Column("debit", str(_l("Mutasi debit")), "amount"), Column("credit", str(_l("Mutasi kredit")), "amount"),
            Column("balance_debit", str(_l("Saldo debit")), "amount"), Column("balance_credit", str(_l("Saldo kredit")), "amount")]
    rows = []
    t = [0, 0, 0, 0]
    for a in chart.postable(lambda a: True):
        d, c = moves.get(a.id, (0, 0))
        nd = closing.get(a.id, 0)
        if not (d or c or nd):
            continue
        vals = [d, c, nd if nd > 0 else 0, -nd if nd < 0 else 0]
        t = [x + y for x, y in zip(t, vals, strict=True)]
        rows.append(Row([a.code, _label(a), *vals], key=f"account:{a.code}", code=a.code))
    rows.append(Row(["", str(_l("JUMLAH")), *t], kind="total", key="total"))
    return Statement(
        name="trial-balance", title=str(_l("NERACA SALDO")), subtitle=period_phrase(coop, period), period=period,
        totals={"debit": t[0], "credit": t[1], "balance_debit": t[2], "balance_credit": t[3]},
        sections=[Section("trial_balance", str(_l("Neraca saldo")), cols, rows)], signatures=("bendahara",),
    )


GL_PER_PAGE = 100


def general_ledger(coop: Cooperative, period: ReportPeriod, account: Account, page: int | None = 1,
                   per_page: int = GL_PER_PAGE, member_labels: Callable[[list[int]], dict[int, str]] | None = None) -> Statement:
    """Buku Besar of one account: saldo awal, each line with the running balance on the account's
    normal side, jumlah mutasi, saldo akhir. ``page`` (1-based) pages the lines for the screen; None
    gives all of them (print). The running balance of any page comes from SQL sums."""
    if account.cooperative_id != coop.id:
        raise ValueError("account of another cooperative")
    sign = 1 if account.normal_balance == "debit" else -1
    offset = (max(page, 1) - 1) * per_page if page else 0
    opening_nd, before_nd, items, count = agg.ledger_page(coop, account.id, period.date_from, period.date_to, offset,
                                                          per_page if page else None)
    labels = member_labels([i.member_id for i in items if i.member_id]) if member_labels else {}
    cols = [Column("date", str(_l("Tanggal")), "date"), Column("number", str(_l("No. bukti"))),
            Column("description", str(_l("Keterangan"))), Column("debit", str(_l("Debit")), "amount"),
            Column("credit", str(_l("Kredit")), "amount"), Column("balance", str(_l("Saldo")), "amount")]
    opening = sign * opening_nd
    running = opening + sign * before_nd
    rows = [Row([period.date_from, "", str(_l("Saldo awal")), None, None, opening], kind="subtotal", key="opening")]
    if offset:
        rows.append(Row([None, "", str(_l("Pindahan dari halaman sebelumnya")), None, None, running], kind="subtotal", key="carried"))
    for item in items:
        running += sign * (item.debit - item.credit)
        text = item.description
        extra = " · ".join(x for x in (item.memo, labels.get(item.member_id)) if x)
        if extra:
            text = f"{text} ({extra})"
        rows.append(Row([item.entry_date, item.number, text, item.debit or None, item.credit or None, running],
                        key=f"line:{item.entry_id}"))
    pages = max(1, -(-count // per_page)) if page else 1
    last_page = not page or page >= pages
    totals = {"opening": opening}
    if last_page:
        moves = agg.movements(coop, period.date_from, period.date_to).get(account.id, (0, 0))
        closing = opening + sign * (moves[0] - moves[1])
        rows.append(Row([None, "", str(_l("Jumlah mutasi")), moves[0], moves[1], None], kind="subtotal", key="movements"))
        rows.append(Row([period.date_to, "", str(_l("Saldo akhir")), None, None, closing], kind="total", key="closing"))
        totals.update(debit=moves[0], credit=moves[1], closing=closing)
    return Statement(
        name="general-ledger", title=str(_l("BUKU BESAR")), subtitle=period_phrase(coop, period), period=period,
        totals=totals, sections=[Section("ledger", f"{account.code} — {_label(account)}", cols, rows)],
        meta={"account": account.code, "account_name": _label(account), "page": page or 1, "pages": pages, "lines": count,
              "per_page": per_page},
        signatures=("bendahara",),
    )


JOURNAL_PER_PAGE = 50


def journal(coop: Cooperative, period: ReportPeriod, page: int | None = 1, per_page: int = JOURNAL_PER_PAGE) -> Statement:
    """Jurnal Umum: the period's entries in date order, each with its lines (account, debit,
    credit). ``page`` pages the entries for the screen; None gives all of them."""
    by_id = _chart(coop).by_id()
    offset = (max(page, 1) - 1) * per_page if page else 0
    entries, lines, count, total = agg.journal_page(coop, period.date_from, period.date_to, offset, per_page if page else None)
    cols = [Column("date", str(_l("Tanggal")), "date"), Column("number", str(_l("No. bukti"))),
            Column("account", str(_l("Akun / keterangan"))), Column("debit", str(_l("Debit")), "amount"),
            Column("credit", str(_l("Kredit")), "amount")]
    rows = []
    for e in entries:
        rows.append(Row([e.entry_date, e.number, e.description, None, None], kind="heading", key=f"entry:{e.id}"))
        for ln in lines.get(e.id, []):
            a = by_id[ln.account_id]
            label = f"{a.code} {_label(a)}" + (f" — {ln.memo}" if ln.memo else "")
            rows.append(Row([None, "", label, ln.debit or None, ln.credit or None], code=a.code, level=1 if ln.debit else 2))
    pages = max(1, -(-count // per_page)) if page else 1
    if not page or page >= pages:
        rows.append(Row([None, "", str(_l("JUMLAH")), total, total], kind="total", key="total"))
    return Statement(
        name="journal", title=str(_l("JURNAL UMUM")), subtitle=period_phrase(coop, period), period=period,
        totals={"debit": total, "credit": total}, sections=[Section("journal", str(_l("Jurnal umum")), cols, rows)],
        meta={"page": page or 1, "pages": pages, "entries": count, "per_page": per_page}, signatures=("bendahara",),
    )
