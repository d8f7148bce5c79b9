"""The chart of accounts: add a sub-account, rename or (de)activate one — through ledger.chart, as
the chart page does, with its permission (ledger.chart)."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from koppontren.api.core import ApiError, operation, schema
from koppontren.api.ledger_api import ACCOUNT, get_account
from koppontren.api.schemas import obj, optional, text
from koppontren.ledger import chart
from koppontren.operations import unit_of_work
from koppontren.tenancy.models import Cooperative

#: a name with something in it besides spaces (a blank one is refused before anything changes)
NAME = {**text(200, 1), "pattern": "\\S"}
ACCOUNT_IN = schema("AccountInput", obj({
    "parent": {**text(20, 1), "description": "Code of the header account the new one goes under (e.g. 11 for cash and bank)."},
    "code": {**text(20, 1), "description": "Digits that extend the parent's code (11 → 1104)."},
    "name": NAME, "name_en": optional(text(200)),
    "subledger": optional({"type": "string", "enum": ["member", "party"]}),
    "cash_flow": {**optional({"type": "string", "enum": list(chart.CASH_FLOW_CATEGORIES)}),
                  "description": "Cash-flow category; default the parent's (required when the parent has none)."},
}, ("parent", "code", "name"), description="Type, normal balance and statement section come from the parent."))
ACCOUNT_PATCH = schema("AccountPatch", obj({
    "name": NAME, "name_en": optional(text(200)),
    "active": {"type": "boolean", "description": "false: no new postings (history stays). Refused for an account the modules post "
                                                 "to by role or that still has a balance (account_in_use)."},
}, description="Only the fields given change."))


def _account_or_404(coop: Cooperative, code: str):
    account = chart.account_by_code(coop, code)
    if account is None:
        raise ApiError(404, "not_found", _l("Akun %(code)s tidak ada.", code=code))
    return account


@operation("POST", "/coops/{coop}/accounts", summary="Add a sub-account to the chart", tag="ledger", permission="ledger.chart",
           body=ACCOUNT_IN, response=ACCOUNT, status=201)
def create_account(coop: Cooperative, body: dict):
    account = chart.add_account(coop, parent_code=body["parent"], code=body["code"], name_id=body["name"], name_en=body.get("name_en"),
                                subledger=body.get("subledger"), cash_flow=body.get("cash_flow"), actor=g.api_user)
    return get_account(coop, account.code, {}), 201


@operation("PATCH", "/coops/{coop}/accounts/{code}", summary="Rename an account, or deactivate / reactivate it", tag="ledger",
           permission="ledger.chart", body=ACCOUNT_PATCH, response=ACCOUNT)
def patch_account(coop: Cooperative, code: str, body: dict):
    account = _account_or_404(coop, code)
    with unit_of_work():  # both changes, or neither
        if "active" in body:
            chart.set_active(account, body["active"], actor=g.api_user)
        if "name" in body or "name_en" in body:
            chart.rename_account(account, name_id=body.get("name", account.name_id), name_en=body.get("name_en"), actor=g.api_user)
    return get_account(coop, account.code, {})
