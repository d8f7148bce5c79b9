"""SHU (issue 8, RULES.md §6): a fiscal year's allocation rules, the draft run, its approval at the RAT
and the members' payouts — through ``koppontren.shu.services``, with the same rules and errors as the
pages (``ShuError`` codes: ``percent_not_100``, ``year_not_closed``, ``shu_not_positive`` … 422;
``not_draft``, ``run_frozen``, ``already_paid`` 409)."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from koppontren.api.core import ApiError, amount_out, as_date, operation, page_of, schema
from koppontren.api.schemas import (
    AMOUNT_OUT,
    DATE,
    DATE_OR_NULL,
    STRING_OR_NULL,
    obj,
    text,
)
from koppontren.ledger import queries
from koppontren.members import services as members
from koppontren.shu import services as shu
from koppontren.shu.models import PAYOUT_METHODS
from koppontren.shu.rules import KINDS, SAVINGS_BASES, SOURCES, UNITS, ShuError
from koppontren.tenancy.models import Cooperative

PERCENT = {"type": "string", "pattern": "^[0-9]{1,3}(\\.[0-9]{1,4})?$", "examples": ["40", "12.5"],
           "description": "Exact percentage as a decimal string, 0–100, at most 4 decimals."}
UNIT = {"type": ["string", "null"], "enum": [*UNITS, None], "description": "jasa_usaha only: the business unit; none = all."}
COMPONENT = obj({
    "name": text(100, 1), "kind": {"type": "string", "enum": list(KINDS)}, "percent": PERCENT,
    "account": {"type": "string", "pattern": "^[0-9A-Za-z.-]{1,20}$", "description": "Target account code (3105, 2121, 2122…)."},
    "source": {"type": "string", "enum": list(SOURCES), "description": "Which table: member (default) or nonmember."},
    "unit": UNIT,
}, ("name", "kind", "percent", "account"))
RULES = schema("ShuRules", obj({
    "components": {"type": "array", "items": COMPONENT, "minItems": 1, "maxItems": 30},
    "savings_basis": {"type": "string", "enum": list(SAVINGS_BASES)},
    "include_sukarela": {"type": "boolean"}, "include_departed": {"type": "boolean"},
}, ("components",), description="Percentages sum to exactly 100 per table (member, nonmember); each table has a reserve."))

POOL = obj({
    "name": {"type": "string"}, "kind": {"type": "string", "enum": list(KINDS)}, "percent": {"type": "string"},
    "account": {"type": "string"}, "source": {"type": "string"}, "unit": STRING_OR_NULL, "amount": AMOUNT_OUT,
    "basis_total": {**AMOUNT_OUT, "type": ["string", "null"], "description": "Jasa pools: the members' total basis."},
}, ("name", "kind", "percent", "account", "amount"), closed=False)
PAYOUT = obj({"method": {"type": "string", "enum": list(PAYOUT_METHODS)}, "date": DATE, "amount": AMOUNT_OUT, "netted": AMOUNT_OUT},
             ("method", "date", "amount"), closed=False)
SHARE = obj({
    "member": {"type": "string"}, "name": {"type": "string"}, "savings_basis": AMOUNT_OUT, "usaha_basis": AMOUNT_OUT,
    "usaha_by_unit": {"type": "object", "additionalProperties": AMOUNT_OUT}, "jasa_modal": AMOUNT_OUT, "jasa_usaha": AMOUNT_OUT,
    "total": AMOUNT_OUT, "payout": {"anyOf": [PAYOUT, {"type": "null"}]},
}, ("member", "name", "jasa_modal", "jasa_usaha", "total"), closed=False)
RUN = schema("ShuRun", obj({
    "year": {"type": "integer"}, "status": {"type": "string", "enum": ["draft", "approved", "paid"]},
    "shu": AMOUNT_OUT, "shu_member": AMOUNT_OUT, "shu_nonmember": AMOUNT_OUT, "rules": RULES,
    "period": obj({"from": DATE, "to": DATE}, ("from", "to"), closed=False), "prepared_at": DATE_OR_NULL,
    "approval": {"anyOf": [obj({"date": DATE, "decision": {"type": "string"}, "entry": STRING_OR_NULL}, ("date", "decision"), closed=False),
                           {"type": "null"}]},
    "pools": {"type": "array", "items": POOL},
    "member_count": {"type": "integer", "description": "Members with a share row (eligible members)."},
    "members": {"type": "array", "items": SHARE, "description": "GET only: one page of the members (`?page=&per_page=`)."},
    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
}, ("year", "status", "shu", "pools", "member_count"), closed=False))

APPROVE_IN = schema("ShuApproveInput", obj({"date": DATE, "decision": text(100, 1)}, ("date", "decision"),
                                           description="The RAT's date (after the fiscal year, not in the future) and decision number."))
PAYOUT_IN = schema("ShuPayoutInput", obj({
    "date": DATE, "member": {"type": "string", "minLength": 1, "maxLength": 30, "description": "Member number; none: every unpaid member."},
    "method": {"type": "string", "enum": list(PAYOUT_METHODS)},
}, ("date", "method")))
PAYOUTS = schema("ShuPayouts", obj({
    "year": {"type": "integer"}, "status": {"type": "string", "enum": ["approved", "paid"]},
    "payouts": {"type": "array", "items": obj({
        "member": {"type": "string"}, "method": {"type": "string", "enum": list(PAYOUT_METHODS)}, "date": DATE, "amount": AMOUNT_OUT,
        "netted": AMOUNT_OUT, "entry": STRING_OR_NULL}, ("member", "method", "date", "amount"), closed=False)},
}, ("year", "status", "payouts"), closed=False))


def _run_or_404(coop: Cooperative, year: int):
    run = shu.get_run(coop, year)
    if run is None:
        raise ApiError(404, "not_found", _l("SHU tahun %(y)s belum dihitung.", y=year))
    return run


def _run_json(coop: Cooperative, run, query: dict | None = None) -> dict:
    """The run as ``shu.run_as_dict`` makes it; with ``query`` one page of its members, else none."""
    data = shu.run_as_dict(coop, run)
    everyone = data.pop("members")
    data["member_count"] = len(everyone)
    if query is not None:
        data["members"], meta = page_of(everyone, query)
        data.update(meta)
    return data


@operation("GET", "/coops/{coop}/shu/{year}/rules", summary="The SHU allocation rules of a fiscal year", tag="shu",
           permission="shu.view", response=RULES,
           description="As saved for the year, else copied from the latest earlier year, else the defaults of RULES.md §6.")
def get_shu_rules(coop: Cooperative, year: int):
    return shu.rules_of(coop, year).rules.to_dict()


@operation("PUT", "/coops/{coop}/shu/{year}/rules", summary="Replace the SHU allocation rules of a fiscal year", tag="shu",
           permission="shu.prepare", body=RULES, response=RULES,
           description="Refused once the year's run is approved (409 `run_frozen`); percentages ≠ 100 are 422 `percent_not_100`.")
def put_shu_rules(coop: Cooperative, year: int, body: dict):
    return shu.save_rules(coop, year, body, actor=g.api_user).to_dict()


@operation("POST", "/coops/{coop}/shu/{year}", summary="Compute (or recompute) the draft SHU run of a closed year", tag="shu",
           permission="shu.prepare", response=RUN, status=201, idempotent=True,
           description="The year must be closed (422 `year_not_closed`) with a positive SHU (422 `shu_not_positive`); "
                       "an approved run is frozen (409 `run_frozen`). The members are listed by `GET`.")
def compute_shu(coop: Cooperative, year: int):
    return _run_json(coop, shu.compute_run(coop, year, actor=g.api_user)), 201


@operation("GET", "/coops/{coop}/shu/{year}", summary="The SHU run of a year: pools and members", tag="shu", permission="shu.view",
           response=RUN, paginated=True)
def get_shu_run(coop: Cooperative, year: int, query: dict):
    return _run_json(coop, _run_or_404(coop, year), query)


@operation("POST", "/coops/{coop}/shu/{year}/approve", summary="Approve the draft run at the RAT (posts the allocation)", tag="shu",
           permission="shu.approve", body=APPROVE_IN, response=RUN, idempotent=True,
           description="By another user than the one who computed it (422 `same_user`); approving again is 409 `not_draft`.")
def approve_shu(coop: Cooperative, year: int, body: dict):
    return _run_json(coop, shu.approve_run(coop, year, day=as_date(body["date"]), decision=body["decision"], actor=g.api_user))


@operation("POST", "/coops/{coop}/shu/{year}/payouts", summary="Pay members' SHU (one member, or every unpaid member)", tag="shu",
           permission="shu.prepare", body=PAYOUT_IN, response=PAYOUTS, status=201, idempotent=True,
           description="Cash, into simpanan sukarela, or netted against the member's receivable (the rest in cash). "
                       "A member already paid is answered as paid, never paid twice.")
def pay_shu(coop: Cooperative, year: int, body: dict):
    day = as_date(body["date"])
    number = body.get("member")
    if number is not None and members.get_by_number(coop, number) is None:
        message = _l("Anggota %(n)s tidak ada.", n=number)
        raise ApiError(422, "unknown_member", message, {"member": message})
    try:
        paid = shu.pay(coop, year, day=day, method=body["method"], member_number=number, actor=g.api_user)
    except ShuError as err:
        if err.code == "not_found":  # the member exists but has no share in this run
            raise ApiError(422, "no_share", err.message, {"member": _l("Tidak punya SHU tahun ini.")}) from None
        raise
    run = shu.get_run(coop, year)
    numbers = {s.member_id: s.number for s in shu.shares_of(coop, run)} if paid else {}
    out = []
    for p in paid:
        entry = queries.get_entry(coop, p.entry_id) if p.entry_id else None
        out.append({"member": numbers.get(p.member_id, ""), "method": p.method, "date": p.pay_date.isoformat(),
                    "amount": amount_out(coop, p.amount), "netted": amount_out(coop, p.netted), "entry": entry.number if entry else None})
    return {"year": year, "status": shu.run_status(coop, run), "payouts": out}, 201
