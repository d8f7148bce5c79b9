"""The JSON API v1 (issue 8): ``/api/v1``, bearer tokens, OpenAPI 3.1 at ``/api/v1/openapi.json``.

Each domain's endpoints live in their own module (``ledger_api``, ``members_api``, ``shop_api``,
``reports_api``, ``shu_api``), declared with :func:`koppontren.api.core.operation`; importing the module
registers them on ``api_bp``. A new module (the wallet) is one more file and one more name in ``MODULES``:

    # koppontren/api/shu_api.py
    from koppontren.api.core import operation, schema, as_date, amount, amount_out, current_key
    from koppontren.api.schemas import obj, DATE, AMOUNT, AMOUNT_OUT, text, optional

    RULES = schema("ShuRules", obj({...}, ("components",)))

    @operation("PUT", "/coops/{coop}/shu/{year}/rules", summary="…", tag="shu", permission="shu.prepare",
               body=RULES, response=RULES)
    def put_shu_rules(coop, year: int, body: dict):
        return shu.save_rules(coop, year, body, actor=g.api_user).to_dict()

Any method works (GET, POST, PUT, PATCH); the OpenAPI document lists each under its path.
A path parameter needs an entry in ``core.PATH_PARAMS`` (converter, schema, description) — or
``aliases={"name": "<entry>"}``; an endpoint may return ``core.file_response(...)`` for PDF/XLSX
when it lists the media types in ``files=(...)``. Domain errors (a DomainError subclass with a
``code``) become JSON by themselves: ``not_found`` 404, codes in ``core.CONFLICT_CODES`` 409, the rest
422. The OpenAPI document, the isolation walk and Schemathesis pick the new operations up alone.
"""

from __future__ import annotations

import importlib

from flask import Flask

from koppontren.api.core import api_bp, json_response, operation

MODULES = ("ledger_api", "members_api", "shop_api", "reports_api", "shu_api", "wallet_api", "cashbank_api", "audit_api",
           "settings_api", "accounts_api", "users_api", "cards_api", "shop_close_api")


@operation("GET", "/openapi.json", summary="This document", tag="meta", permission=None, public=True,
           response={"type": "object"})
def openapi_document():
    from koppontren.api.openapi import document

    return document()


def register_api(app: Flask) -> None:
    for name in MODULES:
        importlib.import_module(f"koppontren.api.{name}")
    app.register_blueprint(api_bp)


__all__ = ["json_response", "register_api"]
