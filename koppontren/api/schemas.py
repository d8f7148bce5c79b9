"""Shared JSON schemas of the API (JSON Schema 2020-12, as OpenAPI 3.1 uses it). core.validate
checks request bodies against these same dicts with the ``jsonschema`` library, and the OpenAPI document publishes them:
what is documented is what is enforced."""

from __future__ import annotations

from koppontren.api.core import schema

#: an amount as a decimal string: "1500000" or "1500000.00" (more decimals than the cooperative books are refused)
AMOUNT = {"type": "string", "pattern": "^[0-9]{1,15}(\\.[0-9]{1,2})?$", "examples": ["1500000", "1500000.00"],
          "description": "Decimal string, ASCII digits; no more decimals than the cooperative's currency allows."}
AMOUNT_OUT = {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$"}
AMOUNT_OUT_OR_NULL = {"type": ["string", "null"], "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$"}
DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}
DATETIME_OR_NULL = {"type": ["string", "null"]}
MONTH = {"type": "string", "format": "month", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}
STRING_OR_NULL = {"type": ["string", "null"]}
METHOD = {"type": "string", "enum": ["cash", "bank"]}
PAYMENT = {"type": "string", "enum": ["cash", "bank", "credit", "wallet"]}
QUANTITY = {"type": "integer", "minimum": 1, "maximum": 1_000_000_000}
MEMBER_NUMBER = {"type": "string", "minLength": 1, "maxLength": 30}
PARTY_CODE = {"type": "string", "minLength": 1, "maxLength": 30}
SKU = {"type": "string", "minLength": 1, "maxLength": 40}


def text(max_length: int, min_length: int = 0) -> dict:
    s = {"type": "string", "maxLength": max_length}
    if min_length:
        s["minLength"] = min_length
    return s


def optional(s: dict) -> dict:
    """The same schema, null also allowed."""
    out = dict(s)
    types = out.get("type", "string")
    out["type"] = [*(types if isinstance(types, list) else [types]), "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def obj(properties: dict, required: tuple[str, ...] = (), *, closed: bool = True, description: str = "") -> dict:
    s = {"type": "object", "properties": properties, "required": list(required)}
    if closed:
        s["additionalProperties"] = False
    if description:
        s["description"] = description
    return s


def page_of(item: dict) -> dict:
    return obj({"items": {"type": "array", "items": item}, "total": {"type": "integer"}, "page": {"type": "integer"},
                "per_page": {"type": "integer"}}, ("items", "total", "page", "per_page"), closed=False)


ERROR = schema("Error", obj({
    "error": obj({
        "code": {"type": "string", "description": "Stable code, e.g. validation_error, period_closed, insufficient_stock."},
        "message": {"type": "string", "description": "In the token user's language."},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Field (dotted path, lines counted from 1) → problem."},
    }, ("code", "message", "fields"), closed=False),
}, ("error",), closed=False))
