"""The card sheet PDF (documents.py): several cards to an A4 page with the santri's name and NIS; the
Code 128 barcode drawn on the card decodes back to the card token (decoded here from the bars'
positions, independently of the library that drew them) and the QR code drawn is the QR symbol of
the token."""

from __future__ import annotations

import base64
import io
import random
import re
import secrets

import pytest
import segno
from barcode.charsets.code128 import CODES  # Code 128 symbol patterns by value (ISO/IEC 15417), only to read the bars back
from pypdf import PdfReader

from koppontren.wallet import documents
from koppontren.wallet.documents import CardFace

START = {103: "A", 104: "B", 105: "C"}


def _modules_from_svg(svg: str) -> str:
    """The 1/0 module string of a barcode SVG, read from its black rectangles' x and width (mm)."""
    bars = [(float(x), float(w)) for x, w in re.findall(r'<rect x="([\d.]+)mm" y="[\d.]+mm" width="([\d.]+)mm"', svg)]
    module = min(w for _x, w in bars)
    start = bars[0][0]
    out: list[str] = []
    for x, w in bars:
        gap = round((x - start) / module) - len(out)
        out += ["0"] * gap + ["1"] * round(w / module)
    return "".join(out)


def decode_code128(modules: str) -> str:
    """Decode a Code 128 module string (start, data, check, stop) to its text; checks the check digit."""
    assert modules.endswith("1100011101011"), "no stop pattern"
    body = modules[: -13]
    values = [CODES.index(body[i:i + 11]) for i in range(0, len(body), 11)]
    start, *data, check = values
    assert (start + sum(i * v for i, v in enumerate(data, start=1))) % 103 == check, "bad check digit"
    charset, text = START[start], []
    for v in data:
        if v == 99:
            charset = "C"
        elif v == 100:
            charset = "B"
        elif v == 101:
            charset = "A"
        elif charset == "C":
            text.append(f"{v:02d}")
        elif charset == "B":
            text.append(chr(v + 32))
        else:
            text.append(chr(v + 32) if v < 64 else chr(v - 64))
    return "".join(text)


def _dark_modules_from_qr_svg(svg: str) -> set[tuple[int, int]]:
    """(row, column) of every dark module drawn by segno's path (M/m moves, h runs)."""
    d = re.search(r' d="([^"]+)"', svg).group(1)
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", d):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for i in range(int(float(a))):
                dark.add((int(y), int(x) + i))
            x += float(a)
    return dark


def _card_tokens(count: int, seed: int) -> list[str]:
    """Tokens shaped like the cards' (``secrets.token_urlsafe(24)``: 32 URL-safe characters), from a
    seeded generator: every pytest-xdist worker must collect the same test ids."""
    rng = random.Random(seed)
    return [base64.urlsafe_b64encode(rng.randbytes(24)).decode() for _ in range(count)]


@pytest.mark.parametrize("token", [*_card_tokens(5, seed=1), "0123456789-abc_XYZ-0000", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_the_barcode_on_the_card_decodes_to_the_token(token):
    svg = documents.barcode_svg(token)
    assert decode_code128(_modules_from_svg(svg)) == token
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg  # an element to put inside the HTML
    width = float(re.search(r'<svg[^>]* width="([\d.]+)mm"', svg).group(1))
    assert width <= 85.6 - 6  # fits on an ID-1 card inside its padding


@pytest.mark.parametrize("token", _card_tokens(3, seed=2))
def test_the_qr_code_on_the_card_is_the_qr_symbol_of_the_token(token):
    qr = segno.make(token, error="m", micro=False)
    border = 2
    expected = {(r + border, c + border) for r, row in enumerate(qr.matrix) for c, bit in enumerate(row) if bit}
    assert _dark_modules_from_qr_svg(documents.qr_svg(token)) == expected


def test_the_sheet_puts_ten_cards_on_an_a4_page_with_name_and_nis(app_ctx, coop):
    from flask import g

    faces = [CardFace(name=f"Santri Ke {n:02d}", nis=f"NIS{n:04d}", token=secrets.token_urlsafe(24), kelas="7A", asrama="Al-Fatih")
             for n in range(12)]
    with app_ctx.test_request_context():
        g.coop = coop
        html = documents.card_sheet_html(coop, faces)
        body = documents.card_sheet_pdf(coop, faces)
    assert html.count('class="wallet-card"') == 12 and html.count('class="card-page"') == 2
    for face in faces:  # the barcode of each card in the HTML decodes to that card's token
        card = html.split(f'data-nis="{face.nis}"')[1].split('class="card-foot"')[0]
        barcode = card.split('class="card-barcode"')[1]
        assert decode_code128(_modules_from_svg(barcode)) == face.token
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) == 2
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points
    first, second = (p.extract_text() for p in reader.pages)
    assert all(f"Santri Ke {n:02d}" in first for n in range(10)) and "Santri Ke 10" not in first
    assert "Santri Ke 10" in second and "Santri Ke 11" in second and "NIS NIS0011" in second
    assert coop.name.upper() in first.upper()


def test_a_card_is_printed_with_what_the_treasurer_typed_escaped(app_ctx, coop):
    from flask import g

    face = CardFace(name="<script>alert(1)</script> & Co", nis="1/2-3", token=secrets.token_urlsafe(24))
    with app_ctx.test_request_context():
        g.coop = coop
        html = documents.card_sheet_html(coop, [face])
    assert "<script>alert" not in html and "&lt;script&gt;" in html
