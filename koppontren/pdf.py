"""PDF documents (kwitansi, buku simpanan, login slips) from the HTML templates in ``reports/``.

``render_pdf("kwitansi.html", coop=…, receipt=…, terbilang=…)`` renders the template with the app's
filters and globals (``_``, ``long_date``, …) and hands the HTML to WeasyPrint. Documents are
printed in the current Babel locale; wrap the call in ``flask_babel.force_locale("en")`` for
English. Needs an app context (and a request context for the signed-in user's language).

WeasyPrint would otherwise fetch any URL a template or a member's data names — a remote image,
``file:///etc/passwd`` — so it gets ``LocalFilesFetcher``, which serves only the app's own files
under ``koppontren/static/`` and ``reports/`` and refuses everything else (DESIGN.md §3).
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from flask import current_app, g
from flask_babel import format_date, get_locale
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from koppontren import money
from koppontren.paths import PROJECT_ROOT

REPORTS_DIR = PROJECT_ROOT / "reports"
STATIC_DIR = PROJECT_ROOT / "koppontren" / "static"
ALLOWED_DIRS = (STATIC_DIR.resolve(), REPORTS_DIR.resolve())

#: Stand-ins for the page counters in translated footer text (see ``css_content``): private-use
#: code points no translation contains, so "Halaman %(page)s dari %(pages)s" stays one message.
PAGE_NUMBER = "\ue000"
PAGE_COUNT = "\ue001"


class RefusedURLError(ValueError):
    """A URL the PDF renderer may not fetch. WeasyPrint logs it and leaves the resource out."""


def allowed_path(url: str) -> Path:
    """The local file a URL names, if it lies under one of ``ALLOWED_DIRS``; else RefusedURLError.

    Only ``file:`` URLs on this host qualify; the path is resolved (``..``, symlinks) before the
    check, so nothing outside the two folders can be reached by a crafted name.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedURLError(f"refused (only the app's own files): {url[:200]}")
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not any(path.is_relative_to(root) for root in ALLOWED_DIRS) or not path.is_file():
        raise RefusedURLError(f"refused (not one of the app's own files): {url[:200]}")
    return path


class LocalFilesFetcher(URLFetcher):
    """WeasyPrint's fetcher, deny-by-default: serves ``allowed_path`` files, refuses any other URL
    (http, https, data, file elsewhere) before anything is opened."""

    def fetch(self, url, headers=None):
        path = allowed_path(url)
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime_type})


# --- template environment ------------------------------------------------------------------------

def _decimals(context: Context) -> int:
    """The printed cooperative's currency decimals: the ``coop`` handed to the template, else the
    request's cooperative — a PDF rendered from the CLI has no ``g.coop``."""
    coop = context.get("coop") or g.get("coop")
    return int(getattr(coop, "currency_decimals", 0) or 0)


def _language() -> str:
    loc = get_locale()
    return str(loc.language) if loc else "id"


@pass_context
def sen(context: Context, amount_sen: int | None, blank_zero: bool = False) -> str:
    """Statement figure from sen: ``1.250.000``, negatives ``(600.000)``; like the app's ``sen``
    filter but in the decimals of the cooperative being printed."""
    if amount_sen is None or (blank_zero and not amount_sen):
        return ""
    return money.format_statement(money.from_sen(amount_sen), _decimals(context), _language())


@pass_context
def idr_sen(context: Context, amount_sen: int) -> str:
    """Amount from sen with the currency: ``Rp2.950.000`` / ``IDR 2,950,000``."""
    return money.format_idr(money.from_sen(amount_sen), _decimals(context), _language())


@pass_context
def idr(context: Context, amount) -> str:
    """Rupiah amount (Decimal or int) with the currency, in the printed cooperative's decimals."""
    return money.format_idr(amount, _decimals(context), _language())


def short_date(value) -> str:
    """``22/11/2026``: the compact date of statement rows (RULES.md §7)."""
    return format_date(value, "dd/MM/y") if value else ""


def terbilang_sen(amount_sen: int) -> str:
    """Amount from sen in Indonesian words: "dua juta sembilan ratus lima puluh ribu rupiah"."""
    return money.terbilang(money.from_sen(amount_sen))


def css_content(text: str) -> Markup:
    """Text as a CSS ``content`` value for page margin boxes, where templates cannot put HTML:
    quoted and CSS-escaped, with ``PAGE_NUMBER`` / ``PAGE_COUNT`` turned into page counters."""
    plain = text.unescape() if isinstance(text, Markup) else str(text)
    counters = {PAGE_NUMBER: "counter(page)", PAGE_COUNT: "counter(pages)"}
    out, run = [], []
    for char in plain + PAGE_NUMBER:
        if char in counters:
            if run:
                out.append('"' + "".join(run) + '"')
                run = []
            out.append(counters[char])
        elif char in '"\\':
            run.append("\\" + char)
        elif char in "<>&" or ord(char) < 0x20:  # no "</style>" can close the style element
            run.append(f"\\{ord(char):x} ")
        else:
            run.append(char)
    out.pop()  # the sentinel appended above
    return Markup(" ".join(out) or '""')  # noqa: S704 - CSS-escaped above, nothing HTML can end it


def reports_env() -> Environment:
    """The app's Jinja environment with ``reports/`` as its only loader, built once per app.

    An overlay shares the app's filters, globals and the Babel ``_``; the filter table is copied
    before the money filters are replaced, so web pages keep their own.
    """
    app = current_app._get_current_object()
    env = app.extensions.get("koppontren_reports_env")
    if env is None:
        env = app.jinja_env.overlay(loader=FileSystemLoader(str(REPORTS_DIR)))
        env.filters = dict(app.jinja_env.filters)
        env.filters.update(sen=sen, idr=idr, idr_sen=idr_sen, short_date=short_date,
                           terbilang_sen=terbilang_sen, css_content=css_content)
        env.globals = dict(app.jinja_env.globals)
        env.globals.update(PAGE_NUMBER=PAGE_NUMBER, PAGE_COUNT=PAGE_COUNT)
        app.extensions["koppontren_reports_env"] = env
    return env


def render_html(template: str, **context) -> str:
    """The HTML of a report, as WeasyPrint will see it (also handy to debug a layout in a browser).

    Context processors run as for web pages; ``printed_at`` defaults to now (stored as UTC, shown in
    the cooperative's time zone by ``short_datetime``).
    """
    context.setdefault("printed_at", datetime.now(UTC))
    current_app.update_template_context(context)
    return reports_env().get_template(template).render(context)


def render_pdf(template: str, **context) -> bytes:
    """Render ``reports/<template>`` with ``context`` to PDF bytes, fetching only the app's files."""
    html = render_html(template, **context)
    document = HTML(string=html, base_url=REPORTS_DIR.as_uri() + "/", url_fetcher=LocalFilesFetcher())
    return document.write_pdf()
