"""The JSON API v1 (issue 8): ``/api/v1``, bearer tokens, OpenAPI 3.1 at ``/api/v1/openapi.json``.

Each domain's endpoints live in their own module (``ledger_api``, ``members_api``, ``shop_api``),
declared with :func:`koppontren.api.core.operation`; importing the module registers them on
``api_bp``. A new module (reports, SHU) is one more file and one more name in ``MODULES``.
"""

from __future__ import annotations

import importlib

from flask import Flask

from koppontren.api.core import api_bp, json_response, operation

MODULES = ("ledger_api", "members_api", "shop_api")


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
