"""The cooperative's settings: its profile (PATCH /coops/{coop}), its officers and signing town,
the savings settings, the shop's credit limits per member category and the wallet's default limits —
through the services the settings pages call, with their permissions."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from koppontren.api.core import ApiError, amount, amount_out, as_date, operation, schema
from koppontren.api.ledger_api import COOP, get_coop
from koppontren.api.schemas import AMOUNT, AMOUNT_OUT, AMOUNT_OUT_OR_NULL, DATE, DATE_OR_NULL, STRING_OR_NULL, obj, optional, text
from koppontren.ledger import chart
from koppontren.members import services as members
from koppontren.members.models import CATEGORIES
from koppontren.savings import services as savings
from koppontren.shop import catalogue
from koppontren.tenancy import officers as officer_services
from koppontren.tenancy import services as tenancy
from koppontren.tenancy.models import OFFICER_ROLES, Cooperative
from koppontren.wallet import limits as wallet_limits

# --- the cooperative's profile ------------------------------------------------------------------------

COOP_PATCH = schema("CooperativePatch", obj({
    "name": text(200, 1), "pesantren_name": optional(text(200)), "legal_number": optional(text(100)),
    "nik_koperasi": optional(text(40)), "address": optional(text(1000)),
    "fiscal_year_start_month": {"type": "integer", "minimum": 1, "maximum": 12},
    "currency_decimals": {"type": "integer", "minimum": 0, "maximum": 2}, "locale": {"type": "string", "enum": ["id", "en"]},
    "books_start": {**DATE, "description": "Moves only while nothing is posted before the new date and no opening balance is posted "
                                           "(books_start_locked)."},
}, description="Only the fields given change; the slug never does."))


@operation("PATCH", "/coops/{coop}", summary="Change the cooperative's profile and settings", tag="cooperative", permission="coop.settings",
           body=COOP_PATCH, response=COOP)
def patch_coop(coop: Cooperative, body: dict):
    fields = dict(body)
    if "books_start" in fields:
        fields["books_start"] = as_date(fields["books_start"], "books_start")
    tenancy.update_cooperative(coop, actor=g.api_user, **fields)
    return get_coop(coop)


# --- officers --------------------------------------------------------------------------------------------

OFFICER = obj({"role": {"type": "string", "enum": list(OFFICER_ROLES)}, "name": text(200, 1), "term_start": DATE,
               "term_end": optional(DATE)}, ("role", "name", "term_start"))
OFFICERS_IN = schema("OfficersInput", obj({
    "officers": {"type": "array", "items": OFFICER, "maxItems": officer_services.MAX_OFFICERS},
    "signing_town": optional(text(100)),
}, ("officers",), description=(
    "Replaces the whole list: exactly one ketua, sekretaris and bendahara, one or more pengawas, at most one manajer "
    "(invalid_officers). signing_town: the town written before the date under the signatures (absent or null: none).")))
OFFICERS = schema("Officers", obj({
    "officers": {"type": "array", "items": obj({"role": {"type": "string"}, "name": {"type": "string"}, "term_start": DATE,
                                                "term_end": DATE_OR_NULL}, ("role", "name", "term_start", "term_end"), closed=False)},
    "signing_town": STRING_OR_NULL,
}, ("officers", "signing_town"), closed=False))


def officers_json(coop: Cooperative) -> dict:
    return {"officers": [{"role": o.role, "name": o.name, "term_start": o.term_start.isoformat(),
                          "term_end": o.term_end.isoformat() if o.term_end else None} for o in officer_services.officers_of(coop)],
            "signing_town": coop.signing_town}


@operation("GET", "/coops/{coop}/officers", summary="The cooperative's officers and signing town", tag="cooperative", permission="coop.view",
           response=OFFICERS)
def get_officers(coop: Cooperative):
    return officers_json(coop)


@operation("PUT", "/coops/{coop}/officers", summary="Replace the officers (pengurus, pengawas, manajer) and the signing town",
           tag="cooperative", permission="coop.settings", body=OFFICERS_IN, response=OFFICERS)
def put_officers(coop: Cooperative, body: dict):
    given = [officer_services.Officer(o["role"], o["name"], as_date(o["term_start"], f"officers.{n}.term_start"),
                                      as_date(o.get("term_end"), f"officers.{n}.term_end"))
             for n, o in enumerate(body["officers"], start=1)]
    officer_services.replace_officers(coop, given, signing_town=body.get("signing_town"), actor=g.api_user)
    return officers_json(coop)


# --- savings settings -------------------------------------------------------------------------------------

RATES_IN = obj({c: AMOUNT for c in CATEGORIES}, description="Monthly simpanan wajib per member category; a category left out: 0.")
NUMBERING = obj({"prefix": text(10), "digits": {"type": "integer", "minimum": 1, "maximum": 10}}, ("prefix", "digits"),
                description="Member numbers: prefix and digits (A-0001 is prefix \"A-\", 4 digits).")
SAVINGS_SETTINGS_IN = schema("SavingsSettingsInput", obj({
    "pokok_amount": AMOUNT, "wajib_rates": RATES_IN, "sukarela_earns_shu": {"type": "boolean"},
    "default_account": {**optional(text(20)), "description": "Code of the cash or bank account savings go to by default (null: Kas Besar)."},
    "member_numbering": NUMBERING,
}, ("pokok_amount", "wajib_rates"), description="sukarela_earns_shu absent: false; member_numbering absent: unchanged."))
SAVINGS_SETTINGS = schema("SavingsSettings", obj({
    "pokok_amount": AMOUNT_OUT, "wajib_rates": obj({c: AMOUNT_OUT for c in CATEGORIES}, closed=False),
    "sukarela_earns_shu": {"type": "boolean"}, "default_account": STRING_OR_NULL,
    "member_numbering": obj({"prefix": {"type": "string"}, "digits": {"type": "integer"}}, ("prefix", "digits"), closed=False),
}, ("pokok_amount", "wajib_rates", "sukarela_earns_shu", "default_account", "member_numbering"), closed=False))


def savings_settings_json(coop: Cooperative) -> dict:
    s = savings.get_settings(coop)
    prefix, digits = members.numbering_values(coop)
    code = next((a.code for a in chart.accounts(coop) if a.id == s.default_account_id), None)
    return {"pokok_amount": amount_out(coop, s.pokok_amount), "wajib_rates": {c: amount_out(coop, s.wajib_rate(c)) for c in CATEGORIES},
            "sukarela_earns_shu": s.sukarela_earns_shu, "default_account": code,
            "member_numbering": {"prefix": prefix, "digits": digits}}


@operation("GET", "/coops/{coop}/savings-settings", summary="The savings settings (pokok amount, wajib rates, …)", tag="savings",
           permission="savings.settings", response=SAVINGS_SETTINGS)
def get_savings_settings(coop: Cooperative):
    return savings_settings_json(coop)


@operation("PUT", "/coops/{coop}/savings-settings", summary="Change the savings settings (pokok amount, wajib rates, …)", tag="savings",
           permission="savings.settings", body=SAVINGS_SETTINGS_IN, response=SAVINGS_SETTINGS)
def put_savings_settings(coop: Cooperative, body: dict):
    account_id = None
    if body.get("default_account") is not None:
        account = chart.account_by_code(coop, body["default_account"])
        if account is None:
            raise ApiError(422, "invalid_account", _l("Akun %(c)s tidak ada.", c=body["default_account"]),
                           {"default_account": _l("Tidak ada.")})
        account_id = account.id
    rates = {c: amount(coop, v, f"wajib_rates.{c}", allow_zero=True) for c, v in body["wajib_rates"].items()}
    numbering = body.get("member_numbering")
    savings.update_settings(coop, pokok_amount=amount(coop, body["pokok_amount"], "pokok_amount", allow_zero=True), wajib_rates=rates,
                            sukarela_earns_shu=bool(body.get("sukarela_earns_shu")), default_account_id=account_id, actor=g.api_user,
                            numbering=(numbering["prefix"], numbering["digits"]) if numbering else None)
    return savings_settings_json(coop)


# --- the shop's credit limits -------------------------------------------------------------------------------

CREDIT_LIMITS_IN = schema("CreditLimitsInput", obj({c: AMOUNT for c in CATEGORIES}, description=(
    "The member credit (piutang anggota) a member of each category may owe; a category left out: 0 (no credit).")))
CREDIT_LIMITS = schema("CreditLimits", obj({c: AMOUNT_OUT for c in CATEGORIES}, tuple(CATEGORIES), closed=False))


def credit_limits_json(coop: Cooperative) -> dict:
    return {c: amount_out(coop, sen) for c, sen in catalogue.credit_limits(coop).items()}


@operation("GET", "/coops/{coop}/credit-limits", summary="Credit limits per member category", tag="shop", permission="shop.manage",
           response=CREDIT_LIMITS)
def get_credit_limits(coop: Cooperative):
    return credit_limits_json(coop)


@operation("PUT", "/coops/{coop}/credit-limits", summary="Set the credit limits per member category", tag="shop", permission="shop.manage",
           body=CREDIT_LIMITS_IN, response=CREDIT_LIMITS)
def put_credit_limits(coop: Cooperative, body: dict):
    limits = {c: amount(coop, body[c], c, allow_zero=True) if c in body else 0 for c in CATEGORIES}
    catalogue.update_credit_limits(coop, limits, actor=g.api_user)
    return credit_limits_json(coop)


# --- the wallet's default limits -----------------------------------------------------------------------------

LIMIT = {**optional(AMOUNT), "description": "null: no limit."}
WALLET_SETTINGS_IN = schema("WalletSettingsInput", obj({
    "limit_daily": LIMIT, "limit_weekly": LIMIT, "limit_monthly": LIMIT,
    "exempt_categories": {"type": "array", "maxItems": wallet_limits.MAX_CATEGORIES, "items": text(60, 1),
                          "description": "Member categories whose santri spend without the limits."},
}, (), description="A limit left out or null: none; exempt_categories left out: none."))
WALLET_SETTINGS = schema("WalletSettings", obj({
    "limit_daily": AMOUNT_OUT_OR_NULL, "limit_weekly": AMOUNT_OUT_OR_NULL, "limit_monthly": AMOUNT_OUT_OR_NULL,
    "exempt_categories": {"type": "array", "items": {"type": "string"}},
}, ("limit_daily", "limit_weekly", "limit_monthly", "exempt_categories"), closed=False))


def wallet_settings_json(coop: Cooperative) -> dict:
    s = wallet_limits.get_settings(coop)
    return {"limit_daily": amount_out(coop, s.limits.daily), "limit_weekly": amount_out(coop, s.limits.weekly),
            "limit_monthly": amount_out(coop, s.limits.monthly), "exempt_categories": list(s.exempt_categories)}


@operation("GET", "/coops/{coop}/wallet-settings", summary="The santri wallets' default spending limits", tag="wallet",
           permission="wallet.manage", response=WALLET_SETTINGS)
def get_wallet_settings(coop: Cooperative):
    return wallet_settings_json(coop)


@operation("PUT", "/coops/{coop}/wallet-settings", summary="Set the santri wallets' default spending limits", tag="wallet",
           permission="wallet.manage", body=WALLET_SETTINGS_IN, response=WALLET_SETTINGS)
def put_wallet_settings(coop: Cooperative, body: dict):
    values = {f"limit_{w}": amount(coop, body[f"limit_{w}"], f"limit_{w}", allow_zero=True) if body.get(f"limit_{w}") is not None else None
              for w in ("daily", "weekly", "monthly")}
    wallet_limits.update_settings(coop, exempt_categories=body.get("exempt_categories") or [], actor=g.api_user, **values)
    return wallet_settings_json(coop)
