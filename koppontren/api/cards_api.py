"""Santri wallets beyond money in and out: cards (issue, block, replace — one santri or a class),
the treasurer's limits of one santri, a santri's details, walis, and the transfers in transit of
the reconciliation — through wallet.cards and wallet.services, as the wallet pages do (wallet.manage).

A card's clear token exists only in the answer that issues it (the database keeps its hash), so
these operations take no Idempotency-Key: a stored answer would keep the token."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren.api.core import ApiError, amount, amount_out, as_date, operation, schema
from koppontren.api.schemas import AMOUNT, AMOUNT_OUT, AMOUNT_OUT_OR_NULL, DATE, DATE_OR_NULL, obj, optional, text
from koppontren.api.wallet_api import WALLET, wallet_json, wallet_or_404
from koppontren.auth import services as auth
from koppontren.extensions import db
from koppontren.members import services as members
from koppontren.tenancy.models import Cooperative
from koppontren.wallet import cards
from koppontren.wallet import services as wallet
from koppontren.wallet.models import WalletCard

SANTRI_PATH = {"number": "nis"}

# --- cards ------------------------------------------------------------------------------------------------

CARD = schema("WalletCard", obj({
    "id": {"type": "integer"}, "nis": {"type": "string"}, "status": {"type": "string", "enum": ["active", "blocked"]},
    "token": {"type": ["string", "null"], "description": "The token printed on the card (QR code, barcode): only in the answer "
                                                         "that issues the card, never again (reprinting means replacing)."},
    "created_at": {"type": "string"}, "blocked_at": {"type": ["string", "null"]},
}, ("id", "nis", "status", "token"), closed=False))


def card_json(card: WalletCard, nis: str) -> dict:
    return {"id": card.id, "nis": nis, "status": card.status, "token": card.token,
            "created_at": card.created_at.isoformat() if card.created_at else None,
            "blocked_at": card.blocked_at.isoformat() if card.blocked_at else None}


def _card_or_404(coop: Cooperative, card_id: int) -> tuple[WalletCard, object]:
    card = db.session.scalar(select(WalletCard).where(WalletCard.cooperative_id == coop.id, WalletCard.id == card_id))
    if card is None:
        raise ApiError(404, "not_found", _l("Kartu tidak ditemukan."))
    return card, wallet.get_santri(coop, card.santri_id)


@operation("POST", "/coops/{coop}/santri/{number}/cards", aliases=SANTRI_PATH, summary="Issue a santri's first card", tag="wallet",
           permission="wallet.manage", response=CARD, status=201, description=(
               "Refused when the santri already has an active card (card_exists: replace it instead) or the wallet is closed (not_active)."))
def issue_card(coop: Cooperative, number: str):
    santri = wallet_or_404(coop, number)
    return card_json(cards.issue_card(coop, santri, actor=g.api_user), santri.nis), 201


@operation("POST", "/coops/{coop}/cards/{id}/block", summary="Block a card (lost, stolen): it stops paying at once", tag="wallet",
           permission="wallet.manage", response=CARD)
def block_card(coop: Cooperative, id: int):
    card, santri = _card_or_404(coop, id)
    if card.status != "active":
        raise ApiError(409, "already_blocked", _l("Kartu ini sudah diblokir."))
    cards.block_card(coop, santri, actor=g.api_user)
    db.session.refresh(card)
    return card_json(card, santri.nis)


@operation("POST", "/coops/{coop}/cards/{id}/replace", summary="Replace a card: the santri's card is blocked and a new one issued",
           tag="wallet", permission="wallet.manage", response=CARD, status=201, description=(
               "Only the santri's latest card can be replaced (card_replaced: it has a newer one)."))
def replace_card(coop: Cooperative, id: int):
    card, santri = _card_or_404(coop, id)
    latest = cards.cards_of(coop, santri)[0]
    if latest.id != card.id:
        raise ApiError(409, "card_replaced", _l("Kartu ini sudah diganti dengan kartu yang lebih baru."))
    return card_json(cards.reissue_card(coop, santri, actor=g.api_user), santri.nis), 201


BATCH_IN = schema("CardBatchInput", obj({
    "kelas": {**optional(text(40)), "description": "Only the santri of this class (absent or null: every open wallet)."},
    "replace": {"type": "boolean", "description": "false (default): a card for each santri without one; true: every card replaced "
                                                  "(the old ones blocked), to print a whole class's cards again."},
}))
BATCH = schema("CardBatch", obj({"items": {"type": "array", "items": CARD}}, ("items",), closed=False))


@operation("POST", "/coops/{coop}/card-batches", summary="Cards for a whole class (the missing ones, or all replaced)", tag="wallet",
           permission="wallet.manage", body=BATCH_IN, response=BATCH, status=201)
def issue_card_batch(coop: Cooperative, body: dict):
    rows, page = [], 1
    while True:
        found, total = wallet.list_santri(coop, active=True, kelas=body.get("kelas") or None, page=page, per_page=500)
        rows += found
        if not found or len(rows) >= total:
            break
        page += 1
    service = cards.reissue_cards if body.get("replace") else cards.issue_cards
    made = service(coop, [s.id for s in rows], actor=g.api_user)
    return {"items": [card_json(made[s.id], s.nis) for s in rows if s.id in made]}, 201


# --- one santri: limits and details ------------------------------------------------------------------------

LIMIT = {**optional(AMOUNT), "description": "null: the cooperative's default."}
SANTRI_LIMITS_IN = schema("SantriLimitsInput", obj({"daily": LIMIT, "weekly": LIMIT, "monthly": LIMIT}, description=(
    "The treasurer's spending limits of one santri; a window left out or null follows the cooperative's default.")))
SANTRI_LIMITS = schema("SantriLimits", obj({"nis": {"type": "string"}, "daily": AMOUNT_OUT_OR_NULL, "weekly": AMOUNT_OUT_OR_NULL,
                                            "monthly": AMOUNT_OUT_OR_NULL}, ("nis", "daily", "weekly", "monthly"), closed=False))


@operation("PUT", "/coops/{coop}/santri/{number}/limits", aliases=SANTRI_PATH, summary="Set one santri's spending limits", tag="wallet",
           permission="wallet.manage", body=SANTRI_LIMITS_IN, response=SANTRI_LIMITS)
def put_santri_limits(coop: Cooperative, number: str, body: dict):
    santri = wallet_or_404(coop, number)
    values = {w: amount(coop, body[w], w, allow_zero=True) if body.get(w) is not None else None for w in ("daily", "weekly", "monthly")}
    santri = wallet.set_limits(coop, santri, actor=g.api_user, **values)
    return {"nis": santri.nis, "daily": amount_out(coop, santri.limit_daily), "weekly": amount_out(coop, santri.limit_weekly),
            "monthly": amount_out(coop, santri.limit_monthly)}


SANTRI_PATCH = schema("WalletPatch", obj({
    "name": text(200, 1), "kelas": optional(text(40)), "asrama": optional(text(60)),
    "member": {**optional(text(30)), "description": "The member number the santri is (null: none)."},
    "active": {"type": "boolean", "description": "false closes the wallet (refused unless its balance is zero: not_empty)."},
}, description="Only the fields given change; the NIS does not."))


@operation("PATCH", "/coops/{coop}/wallets/{nis}", summary="Change a santri's details, or close / reopen the wallet", tag="wallet",
           permission="wallet.manage", body=SANTRI_PATCH, response=WALLET)
def patch_wallet(coop: Cooperative, nis: str, body: dict):
    santri = wallet_or_404(coop, nis)
    member = members.get_member(coop, santri.member_id) if santri.member_id else None
    data = wallet.SantriData(nis=santri.nis, name=body.get("name", santri.name), kelas=body.get("kelas", santri.kelas),
                             asrama=body.get("asrama", santri.asrama),
                             member_number=body["member"] or "" if "member" in body else (member.number if member else ""),
                             active=body.get("active", santri.active))
    return wallet_json(coop, wallet.update_santri(coop, santri, data, actor=g.api_user))


# --- walis --------------------------------------------------------------------------------------------------

WALI_IN = schema("WaliInput", obj({"login": {**text(80, 3), "description": "An existing user's login; they get the wali role."}},
                                  ("login",)))
WALIS = schema("Walis", obj({"nis": {"type": "string"}, "walis": {"type": "array", "items": obj({
    "login": {"type": "string"}, "name": {"type": "string"}}, ("login", "name"), closed=False)}}, ("nis", "walis"), closed=False))


def walis_json(coop: Cooperative, santri) -> dict:
    return {"nis": santri.nis, "walis": [{"login": u.login, "name": u.name} for u in wallet.walis_of(coop, santri)]}


@operation("POST", "/coops/{coop}/wallets/{nis}/walis", summary="Make an existing user a santri's wali", tag="wallet",
           permission="wallet.manage", body=WALI_IN, response=WALIS, status=201, description=(
               "A new wali account (with its one-time password slip) is made on the wallet page only: the API hands out no passwords."))
def link_wali(coop: Cooperative, nis: str, body: dict):
    santri = wallet_or_404(coop, nis)
    user = auth.get_user_by_login(body["login"])
    if user is None:
        raise ApiError(422, "unknown_user", _l("Login %(l)s tidak ada.", l=body["login"][:80]), {"login": _l("Tidak ada.")})
    wallet.link_wali(coop, santri, user, actor=g.api_user)
    return walis_json(coop, santri), 201


@operation("DELETE", "/coops/{coop}/wallets/{nis}/walis/{login}", summary="A user is no longer a santri's wali", tag="wallet",
           permission="wallet.manage", response=WALIS)
def unlink_wali(coop: Cooperative, nis: str, login: str):
    santri = wallet_or_404(coop, nis)
    user = next((u for u in wallet.walis_of(coop, santri) if u.login == login), None)
    if user is None:
        raise ApiError(404, "not_found", _l("%(l)s bukan wali santri ini.", l=login))
    wallet.unlink_wali(coop, santri, user, actor=g.api_user)
    return walis_json(coop, santri)


# --- transfers in transit (the wallet reconciliation) ---------------------------------------------------------

TRANSIT_IN = schema("TransitInput", obj({
    "date": DATE, "amount": AMOUNT, "direction": {"type": "string", "enum": ["to_bank", "to_wallets"], "description": (
        "to_bank: wallet money not yet in the bank account 1112; to_wallets: money in 1112 not yet in a wallet.")},
    "description": text(300, 1),
}, ("date", "amount", "direction", "description")))
TRANSIT = schema("Transit", obj({
    "id": {"type": "integer"}, "date": DATE, "amount": {**AMOUNT_OUT, "description": "Signed: + to_bank, − to_wallets."},
    "description": {"type": "string"}, "cleared_on": DATE_OR_NULL,
}, ("id", "date", "amount", "description", "cleared_on"), closed=False))
CLEAR_IN = schema("TransitClearInput", obj({"date": {**DATE, "description": "Default today."}}))


def transit_json(coop: Cooperative, item) -> dict:
    return {"id": item.id, "date": item.day.isoformat(), "amount": amount_out(coop, item.amount), "description": item.description,
            "cleared_on": item.cleared_on.isoformat() if item.cleared_on else None}


@operation("POST", "/coops/{coop}/wallet-transits", summary="Record a transfer in transit (wallet reconciliation)", tag="wallet",
           permission="wallet.manage", body=TRANSIT_IN, response=TRANSIT, status=201)
def record_transit(coop: Cooperative, body: dict):
    value = amount(coop, body["amount"], "amount")
    item = wallet.record_in_transit(coop, day=as_date(body["date"]), amount=value if body["direction"] == "to_bank" else -value,
                                    description=body["description"], actor=g.api_user)
    return transit_json(coop, item), 201


@operation("POST", "/coops/{coop}/wallet-transits/{id}/clear", summary="A transfer in transit arrived", tag="wallet",
           permission="wallet.manage", body=CLEAR_IN, response=TRANSIT)
def clear_transit(coop: Cooperative, id: int, body: dict):
    return transit_json(coop, wallet.clear_in_transit(coop, id, day=as_date(body.get("date")), actor=g.api_user))
