"""Statements to PDF (WeasyPrint through ``koppontren.pdf``) and XLSX (openpyxl).

PDF: A4 (landscape for the wide equity table), letterhead with the cooperative's name, legal number
and address, title and period (REFERENCE.md §8.2), "(dalam Rupiah)", "Halaman x dari y", place and
date and the signature block. The print stylesheet is parsed once per process (``_stylesheet``)
and handed to WeasyPrint with the deny-by-default URL fetcher of ``koppontren.pdf``. Text from
users (names, descriptions) is escaped by Jinja's autoescape like every template.

XLSX: one sheet per statement, numbers as numbers (integers for whole rupiah, Decimal otherwise;
never float) in a thousands format with negatives in parentheses, no formulas, the first header row
frozen; any text cell that begins with ``=``, ``+``, ``-`` or ``@`` is prefixed with ``'`` so a
spreadsheet never runs it (formula injection).
"""

from __future__ import annotations

import functools
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from weasyprint import CSS, HTML

from koppontren import money, pdf
from koppontren.statements.model import Statement
from koppontren.tenancy.models import Cooperative

CSS_PATH = pdf.REPORTS_DIR / "statements" / "statements.css"
SIGNATURE_LABELS = {"ketua": _l("Ketua"), "bendahara": _l("Bendahara"), "pengawas": _l("Pengawas")}
FORMULA_START = ("=", "+", "-", "@")


@functools.cache
def _stylesheet() -> CSS:
    """The print CSS, parsed once per process (WeasyPrint would parse a linked sheet per document)."""
    return CSS(string=CSS_PATH.read_text(encoding="utf-8"), url_fetcher=pdf.LocalFilesFetcher())


def default_place(coop: Cooperative) -> str:
    """The town for "Bandung, 14 Maret 2026": the last part of the address without postcode."""
    if not coop.address:
        return ""
    last = re.split(r"[,\n]", coop.address.strip())[-1]
    return re.sub(r"\b\d{5}\b", "", last).strip(" .")


def document_html(coop: Cooperative, statements: list[Statement], *, pack: bool = False, place: str | None = None,
                  sign_date: date | None = None) -> str:
    first = statements[0]
    return pdf.render_html(
        "statements/document.html", coop=coop, docs=[(f"s{i}-{s.name}", s) for i, s in enumerate(statements, start=1)],
        pack=pack, title=first.title if not pack else str(_l("Paket RAT")), subtitle=first.subtitle,
        place=default_place(coop) if place is None else place, sign_date=sign_date or first.period.date_to,
        signature_labels={k: str(v) for k, v in SIGNATURE_LABELS.items()},
    )


def write_pdf(html: str) -> bytes:
    document = HTML(string=html, base_url=pdf.REPORTS_DIR.as_uri() + "/", url_fetcher=pdf.LocalFilesFetcher())
    return document.write_pdf(stylesheets=[_stylesheet()])


def statement_pdf(coop: Cooperative, statement: Statement, **kw) -> bytes:
    return write_pdf(document_html(coop, [statement], **kw))


def pack_pdf(coop: Cooperative, statements: list[Statement], **kw) -> bytes:
    """The RAT pack: cover, table of contents (with page numbers), every statement and list."""
    return write_pdf(document_html(coop, statements, pack=True, **kw))


# --- XLSX ------------------------------------------------------------------------------------------

def safe_text(value: str) -> str:
    """A text cell a spreadsheet will not evaluate: ``=1+1`` → ``'=1+1``."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _number(sen: int, decimals: int):
    if decimals == 0 and sen % money.SEN_PER_RUPIAH == 0:
        return sen // money.SEN_PER_RUPIAH
    return money.quantize(Decimal(sen) / money.SEN_PER_RUPIAH, decimals)


def _format(decimals: int) -> str:
    body = "#,##0" + ("." + "0" * decimals if decimals else "")
    return f"{body};({body})"


def _sheet_title(text: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", " ", text)[:28].strip() or "Sheet"
    base, n = title, 2
    while title in used:
        title = f"{base[:25]} {n}"
        n += 1
    used.add(title)
    return title


def workbook(coop: Cooperative, statements: list[Statement]) -> bytes:
    decimals = int(coop.currency_decimals or 0)
    fmt = _format(decimals)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for s in statements:
        ws = wb.create_sheet(_sheet_title(s.title.title(), used))
        for text in (coop.name, s.title, s.subtitle, str(_l("(dalam Rupiah)"))):
            ws.append([safe_text(str(text))])
        ws["A1"].font = bold
        frozen = False
        for section in s.sections:
            ws.append([])
            if len(s.sections) > 1:
                ws.append([safe_text(str(section.title))])
                ws.cell(ws.max_row, 1).font = bold
            ws.append([safe_text(str(c.label)) for c in section.columns])
            header = ws.max_row
            for cell in ws[header]:
                cell.font = bold
            if not frozen:
                ws.freeze_panes = ws.cell(header + 1, 1)
                frozen = True
            for r in section.rows:
                values = []
                for value, column in zip(r.values, section.columns, strict=False):
                    if value is None:
                        values.append(None)
                    elif column.kind == "amount":
                        values.append(_number(int(value), decimals))
                    elif column.kind == "number":
                        values.append(int(value))
                    elif isinstance(value, date):
                        values.append(value)
                    else:
                        values.append(safe_text(("    " * r.level if column is section.columns[0] and r.level else "") + str(value)))
                ws.append(values)
                row = ws.max_row
                for cell, column in zip(ws[row], section.columns, strict=False):
                    if column.kind == "amount":
                        cell.number_format = fmt
                    elif column.kind == "date":
                        cell.number_format = "dd/mm/yyyy"
                    if r.kind in ("subtotal", "total", "heading"):
                        cell.font = bold
                    if r.kind == "text":
                        cell.alignment = Alignment(wrap_text=True)
        for letter, width in zip("ABCDEFGHIJ", (14, 44, 18, 18, 18, 18, 18, 18, 18, 18), strict=False):
            ws.column_dimensions[letter].width = width
        if s.sections and s.sections[0].columns and s.sections[0].columns[0].kind == "text":
            ws.column_dimensions["A"].width = 50
    out = io.BytesIO()
    wb.properties.creator = "Koppontren"
    wb.properties.created = datetime.now(UTC).replace(tzinfo=None)
    wb.save(out)
    return out.getvalue()


def filename(coop: Cooperative, name: str, statement: Statement, ext: str) -> str:
    p = statement.period
    return f"{coop.slug}-{name}-{p.date_from.isoformat()}-{p.date_to.isoformat()}.{ext}"
