"""Wallet cards: unguessable tokens (``secrets.token_urlsafe``), at most one active card per santri;
a reissue blocks the old card at once. A token is refused the same way whether it is unknown,
blocked, another cooperative's or its santri's wallet is closed: the answer reveals nothing.

The database keeps the SHA-256 of each token, never the token (like API tokens, auth.tokens): with
192 random bits a slow or keyed hash buys nothing, and an unkeyed one survives a change of
SECRET_KEY. A scanned token is found by its hash (an equality on an indexed column: the time taken
says nothing about the token). So a card can be printed only while its clear token is known — when
it is issued or reissued (the objects those return carry ``token``); reprinting means reissuing.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from koppontren.audit.services import ACTION_LABELS, record
from koppontren.extensions import db
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative, utcnow
from koppontren.wallet.errors import WalletError
from koppontren.wallet.models import Santri, WalletCard

TOKEN_BYTES = 24  # 192 bits: 32 URL-safe characters
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ACTION_LABELS.update({
    "wallet.card_issued": _l("Kartu dompet santri dibuat"),
    "wallet.card_blocked": _l("Kartu dompet santri diblokir"),
})


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the database keeps of a card token: its SHA-256, hex (64 characters)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def refused() -> WalletError:
    """The one answer for every card that does not pay (unknown, blocked, other cooperative, closed)."""
    return WalletError("card_refused", _l("Kartu tidak dikenali atau tidak berlaku."), {"card": _l("Kartu ditolak.")})


def clean_token(token) -> str | None:
    if not isinstance(token, str):
        return None
    token = token.strip()
    return token if TOKEN_RE.match(token) else None


def _lookup(coop: Cooperative, token, *, lock: bool) -> Santri:
    token = clean_token(token)
    if token is None:
        raise refused()
    digest = hash_token(token)
    santri_id = db.session.scalar(select(WalletCard.santri_id).where(
        WalletCard.cooperative_id == coop.id, WalletCard.token_hash == digest, WalletCard.status == "active"))
    if santri_id is None:
        raise refused()
    stmt = select(Santri).where(Santri.cooperative_id == coop.id, Santri.id == santri_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    santri = db.session.scalar(stmt)
    if santri is None or not santri.active:
        raise refused()
    if lock:  # the card may have been blocked while we waited for the santri's row (a reissue locks it too)
        still = db.session.scalar(select(WalletCard.id).where(
            WalletCard.cooperative_id == coop.id, WalletCard.token_hash == digest, WalletCard.status == "active"))
        if still is None:
            raise refused()
    return santri


def find_by_token(coop: Cooperative, token) -> Santri:
    """The santri whose active card carries ``token``. Raises WalletError(``card_refused``)."""
    return _lookup(coop, token, lock=False)


def lock_by_token(coop: Cooperative, token) -> Santri:
    """Like find_by_token, with the santri's row locked for this transaction."""
    return _lookup(coop, token, lock=True)


def active_card(coop: Cooperative, santri: Santri | int) -> WalletCard | None:
    santri_id = santri if isinstance(santri, int) else santri.id
    return db.session.scalar(select(WalletCard).where(WalletCard.cooperative_id == coop.id, WalletCard.santri_id == santri_id,
                                                      WalletCard.status == "active"))


def cards_of(coop: Cooperative, santri: Santri | int) -> list[WalletCard]:
    """Every card of the santri, newest first."""
    santri_id = santri if isinstance(santri, int) else santri.id
    return list(db.session.scalars(select(WalletCard).where(WalletCard.cooperative_id == coop.id, WalletCard.santri_id == santri_id)
                                   .order_by(WalletCard.id.desc())))


def active_cards(coop: Cooperative, santri_ids) -> dict[int, WalletCard]:
    """santri_id -> active card, for a card sheet of many santri (one query)."""
    ids = list(santri_ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(WalletCard).where(WalletCard.cooperative_id == coop.id, WalletCard.santri_id.in_(ids),
                                                       WalletCard.status == "active"))
    return {c.santri_id: c for c in rows}


def _locked_santri(coop: Cooperative, santri: Santri | int) -> Santri:
    santri_id = santri if isinstance(santri, int) else santri.id
    locked = db.session.scalar(select(Santri).where(Santri.cooperative_id == coop.id, Santri.id == santri_id)
                               .with_for_update().execution_options(populate_existing=True))
    if locked is None:
        raise WalletError("not_found", _l("Santri tidak ditemukan."))
    return locked


def _block_active(coop: Cooperative, santri_id: int) -> int:
    return db.session.execute(update(WalletCard).where(
        WalletCard.cooperative_id == coop.id, WalletCard.santri_id == santri_id, WalletCard.status == "active")
        .values(status="blocked", blocked_at=utcnow())).rowcount


def printable(coop: Cooperative, tokens) -> list[tuple[Santri, str]] | None:
    """(santri, token) for each of ``tokens`` in order — the clear tokens a card issue just showed —
    when every one is the active card of an open wallet of ``coop``; None otherwise (one stale,
    unknown or mistyped token refuses the whole sheet). Repeats are printed once."""
    wanted: list[str] = []
    for token in tokens:
        token = clean_token(token)
        if token is None:
            return None
        if token not in wanted:
            wanted.append(token)
    if not wanted:
        return None
    by_hash = {hash_token(t): t for t in wanted}
    digests = list(by_hash)
    found = {}
    for start in range(0, len(digests), 500):
        rows = db.session.execute(select(WalletCard.token_hash, Santri).join(
            Santri, (Santri.cooperative_id == WalletCard.cooperative_id) & (Santri.id == WalletCard.santri_id)).where(
            WalletCard.cooperative_id == coop.id, WalletCard.status == "active", Santri.active.is_(True),
            WalletCard.token_hash.in_(digests[start:start + 500])))
        found.update({by_hash[digest]: santri for digest, santri in rows})
    if len(found) != len(wanted):
        return None
    return [(found[t], t) for t in wanted]


def _new_card(coop: Cooperative, santri: Santri, actor, action: str) -> WalletCard:
    token = new_token()
    card = WalletCard(cooperative_id=coop.id, santri_id=santri.id, token_hash=hash_token(token), status="active")
    db.session.add(card)
    db.session.flush()
    card.token = token  # for the card sheet printed now; never stored
    record(action, cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=santri.nis, card=card.id)
    return card


@command("wallet.issue_card")
def issue_card(coop: Cooperative, santri: Santri | int, *, actor=None) -> WalletCard:
    """A first card for the santri. Raises WalletError(``card_exists`` when one is active — reissue
    it instead; ``not_active`` for a closed wallet; ``not_found``)."""
    locked = _locked_santri(coop, santri)
    if not locked.active:
        raise WalletError("not_active", _l("Dompet %(n)s sudah ditutup.", n=locked.name))
    if active_card(coop, locked) is not None:
        raise WalletError("card_exists", _l("%(n)s sudah punya kartu aktif; terbitkan ulang bila hilang.", n=locked.name))
    return _new_card(coop, locked, actor, "wallet.card_issued")


@command("wallet.issue_cards")
def issue_cards(coop: Cooperative, santri_ids, *, actor=None) -> dict[int, WalletCard]:
    """Cards for every santri in ``santri_ids`` that has none active (a class's card sheet); returns
    santri_id -> the new cards only (with their ``token``: the ones to print). Closed wallets and
    santri who have a card are skipped."""
    out = {}
    for santri_id in sorted(set(santri_ids)):
        locked = _locked_santri(coop, santri_id)
        if locked.active and active_card(coop, locked) is None:
            out[santri_id] = _new_card(coop, locked, actor, "wallet.card_issued")
    return out


@command("wallet.reissue_cards")
def reissue_cards(coop: Cooperative, santri_ids, *, actor=None) -> dict[int, WalletCard]:
    """A new card for every open wallet in ``santri_ids`` (a class's cards reprinted): each old card
    is blocked, all in one transaction; returns santri_id -> new card (with its ``token``)."""
    out = {}
    for santri_id in sorted(set(santri_ids)):
        locked = _locked_santri(coop, santri_id)
        if not locked.active:
            continue
        if _block_active(coop, locked.id):
            record("wallet.card_blocked", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis)
        out[santri_id] = _new_card(coop, locked, actor, "wallet.card_issued")
    return out


@command("wallet.reissue_card")
def reissue_card(coop: Cooperative, santri: Santri | int, *, actor=None) -> WalletCard:
    """Block the santri's active card (if any) and issue a new one, in one transaction: the old token
    stops paying at once."""
    locked = _locked_santri(coop, santri)
    if not locked.active:
        raise WalletError("not_active", _l("Dompet %(n)s sudah ditutup.", n=locked.name))
    if _block_active(coop, locked.id):
        record("wallet.card_blocked", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis)
    return _new_card(coop, locked, actor, "wallet.card_issued")


@command("wallet.block_card")
def block_card(coop: Cooperative, santri: Santri | int, *, actor=None) -> bool:
    """Block the santri's active card (lost, stolen); True when one was blocked."""
    locked = _locked_santri(coop, santri)
    blocked = _block_active(coop, locked.id) > 0
    if blocked:
        record("wallet.card_blocked", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis)
    return blocked
