"""The SHU documents: the proposed distribution for the RAT (PDF and XLSX) and the per-member SHU
slips (one member, or every member in one PDF).

Bulk slips are one HTML document per chunk of members rendered by WeasyPrint with the slip's style
sheet parsed once, and joined page by page into one PDF (``Document.copy``), so the style sheet is
parsed and the fonts subset once, not once per member, and the CLI can show progress between chunks.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from koppontren import money
from koppontren.pdf import REPORTS_DIR, LocalFilesFetcher, render_html, render_pdf
from koppontren.shu import services
from koppontren.shu.models import ShuRun, ShuShare
from koppontren.tenancy.models import Cooperative

SLIP_CHUNK = 100
SLIP_CSS = REPORTS_DIR / "shu" / "slip.css"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SlipPool:
    name: str
    weight_sen: int | None  # the member's basis for this pool (sen; None for a monthly-average figure shown elsewhere)
    total_sen: int  # Σ bases of the pool
    pool_sen: int
    share_sen: int


@dataclass(frozen=True)
class Slip:
    share: ShuShare
    pools: list[SlipPool]
    savings_basis_sen: int  # the jasa modal basis as shown (an average is rounded down to the sen)
    payout: object | None


def _pools(run: ShuRun) -> dict[int, dict]:
    return {p["index"]: p for p in run.pools}


def slip_of(run: ShuRun, share: ShuShare, payout=None) -> Slip:
    divisor = run.snapshot.get("savings_divisor", 1)
    pools = _pools(run)
    lines = []
    for index, (floor, bonus) in sorted(share.detail.items(), key=lambda kv: int(kv[0])):
        p = pools[int(index)]
        if p["kind"] == "jasa_modal":
            weight = share.savings_basis // divisor
            total = p["basis_total"] // divisor
        else:
            weight = share.usaha.get(p.get("unit") or "", 0)
            total = p["basis_total"]
        lines.append(SlipPool(p["name"], max(weight, 0), total, p["amount"], floor + bonus))
    return Slip(share, lines, share.savings_basis // divisor, payout)


def distribution_context(coop: Cooperative, run: ShuRun) -> dict:
    return {"coop": coop, "run": run, "status": services.run_status(coop, run), "pools": run.pools,
            "shares": services.shares_of(coop, run), "divisor": run.snapshot.get("savings_divisor", 1),
            "kind_labels": services.KIND_LABELS}


def distribution_pdf(coop: Cooperative, run: ShuRun) -> bytes:
    """The proposed (or approved) distribution for the RAT: pools table and per-member table."""
    return render_pdf("shu/distribution.html", **distribution_context(coop, run))


def _cell(value):
    """Text a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` …) gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _rupiah(sen: int):
    """A number for a cell: int rupiah when whole, else Decimal (openpyxl writes both as numbers)."""
    value = money.from_sen(sen)
    return int(value) if sen % 100 == 0 else value


def distribution_xlsx(coop: Cooperative, run: ShuRun) -> bytes:
    """The distribution as a workbook: sheet "Pos SHU" (pools) and "Anggota" (per member), amounts
    as numbers, header rows frozen, formula-looking text neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    divisor = run.snapshot.get("savings_divisor", 1)
    wb = Workbook()
    ws = wb.active
    ws.title = "Pos SHU"
    ws.append(["Komponen", "Jenis", "Sumber", "Unit", "Persen", "Akun", "Jumlah"])
    for p in run.pools:
        ws.append([_cell(p["name"]), p["kind"], p["source"], p.get("unit") or "", float_free_percent(p["percent"]), _cell(p["account"]),
                   _rupiah(p["amount"])])
    ws.append(["Jumlah SHU", "", "", "", None, "", _rupiah(run.shu_amount)])
    ws.freeze_panes = "A2"
    members_ws = wb.create_sheet("Anggota")
    members_ws.append(["No. anggota", "Nama", "Dasar simpanan", "Dasar transaksi", "Jasa modal", "Jasa usaha", "Jumlah SHU"])
    for s in services.shares_of(coop, run):
        members_ws.append([_cell(s.number), _cell(s.name), _rupiah(s.savings_basis // divisor), _rupiah(s.usaha.get("", 0)),
                           _rupiah(s.jasa_modal), _rupiah(s.jasa_usaha), _rupiah(s.total)])
    members_ws.freeze_panes = "A2"
    for sheet in (ws, members_ws):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in "CDEFG":
            for cell in sheet[column][1:]:
                cell.number_format = "#,##0"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def float_free_percent(text: str):
    """A percentage cell: the exact Decimal ("12.5" → Decimal), written as a number."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else value


def slips_html(coop: Cooperative, run: ShuRun, slips: list[Slip], *, link_css: bool = True) -> str:
    """The slips' HTML; ``link_css`` false leaves out the ``<link>`` to ``shu/slip.css`` (the caller
    passes the style sheet to WeasyPrint already parsed)."""
    return render_html("shu/slips.html", coop=coop, run=run, slips=slips, printed_at=datetime.now(UTC),
                       method_labels=services.METHOD_LABELS, link_css=link_css)


_STYLE = threading.local()


def slip_style() -> tuple[CSS, FontConfiguration]:
    """``shu/slip.css`` parsed once per thread (again when the file changes), with its font
    configuration (Pango's font map is not shared between threads)."""
    mtime = SLIP_CSS.stat().st_mtime_ns
    cached = getattr(_STYLE, "value", None)
    if cached is None or cached[0] != mtime:
        fonts = FontConfiguration()
        cached = (mtime, CSS(filename=str(SLIP_CSS), url_fetcher=LocalFilesFetcher(), font_config=fonts), fonts)
        _STYLE.value = cached
    return cached[1], cached[2]


def _render(coop: Cooperative, run: ShuRun, slips: list[Slip]):
    css, fonts = slip_style()
    return HTML(string=slips_html(coop, run, slips, link_css=False), base_url=REPORTS_DIR.as_uri() + "/",
                url_fetcher=LocalFilesFetcher()).render(stylesheets=[css], font_config=fonts)


def slips_pdf(coop: Cooperative, run: ShuRun, member_ids: list[int] | None = None,
              progress: Callable[[int], None] | None = None, chunk: int = SLIP_CHUNK, processes: int = 1) -> bytes:
    """SHU slips as one PDF: every member with a share (or only ``member_ids``), one page each.
    ``progress(n)`` is called after each chunk of n slips.

    The chunks are HTML documents of ``chunk`` slips laid out by WeasyPrint with one parsed style
    sheet and one font configuration (``slip_style``), their pages joined into one PDF
    (``Document.copy``): fonts are subset and embedded once, not once per member. ``processes`` > 1
    (the CLI's ``--processes``): the chunks are laid out by that many worker processes
    (``shu.slip_worker``) and their PDFs joined with pypdf; each part embeds its own font subsets."""
    shares = services.shares_of(coop, run)
    if member_ids is not None:
        wanted = set(member_ids)
        shares = [s for s in shares if s.member_id in wanted]
    payouts = services.payouts_of(coop, run)
    slips = [slip_of(run, s, payouts.get(s.member_id)) for s in shares]
    if not slips:
        return _render(coop, run, []).write_pdf()
    parts = [slips[start:start + chunk] for start in range(0, len(slips), chunk)]
    if processes > 1 and len(parts) > 1:
        return _slips_pdf_in_processes(coop, run, parts, progress, processes)
    documents = []
    for part in parts:
        documents.append(_render(coop, run, part))
        if progress:
            progress(len(part))
    pages = [page for doc in documents for page in doc.pages]
    return documents[0].copy(pages).write_pdf()


def _slips_pdf_in_processes(coop: Cooperative, run: ShuRun, parts: list[list[Slip]], progress, processes: int) -> bytes:
    """The parts' HTML rendered here (app, translations, data), laid out and written to PDF by
    ``processes`` spawned workers (not forked: the parent may hold threads and connections), the
    PDFs joined in order."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from pypdf import PdfWriter

    from koppontren.shu.slip_worker import render_part

    css_text = SLIP_CSS.read_text(encoding="utf-8")
    base_url = REPORTS_DIR.as_uri() + "/"
    writer = PdfWriter()
    with ProcessPoolExecutor(max_workers=min(processes, len(parts)), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(render_part, slips_html(coop, run, part, link_css=False), css_text, base_url) for part in parts]
        for part, future in zip(parts, futures, strict=True):
            writer.append(io.BytesIO(future.result()))
            if progress:
                progress(len(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
