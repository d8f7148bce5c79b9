"""Laying out SHU slips in worker processes (``shu.documents.slips_pdf(processes=n)``).

A worker gets ready HTML (the slips template rendered in the parent, which has the app, the
translations and the data) and the slip style sheet's text; it parses the style sheet once per
process, lays out the HTML with WeasyPrint behind the deny-by-default ``LocalFilesFetcher`` and
returns the PDF bytes. No database, no Flask app in the worker. The parent joins the parts in order.
"""

from __future__ import annotations

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from koppontren.pdf import LocalFilesFetcher

_STYLE: dict[str, tuple[CSS, FontConfiguration]] = {}


def render_part(html: str, css_text: str, base_url: str) -> bytes:
    """One part of the slips as PDF bytes."""
    style = _STYLE.get(css_text)
    if style is None:
        fonts = FontConfiguration()
        style = (CSS(string=css_text, base_url=base_url, url_fetcher=LocalFilesFetcher(), font_config=fonts), fonts)
        _STYLE.clear()
        _STYLE[css_text] = style
    css, fonts = style
    return HTML(string=html, base_url=base_url, url_fetcher=LocalFilesFetcher()).write_pdf(stylesheets=[css], font_config=fonts)
