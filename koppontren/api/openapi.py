"""The OpenAPI 3.1 document, built from the operations declared with ``core.operation`` — the same
declarations that make the routes and validate the requests, so the document cannot drift."""

from __future__ import annotations

import copy

from koppontren.api import core
from koppontren.api.schemas import ERROR

ERRORS = {
    "400": "Malformed JSON (or a key twice in one object) or a bad header (e.g. Idempotency-Key).",
    "401": "Missing, wrong or revoked token.",
    "403": "The token's role may not do this.",
    "404": "No such resource in this cooperative (another cooperative's paths look the same).",
    "405": "Method not allowed (the `Allow` header lists the methods the path answers).",
    "409": "Conflicts with what is recorded (same Idempotency-Key with another body, duplicate, already done).",
    "422": "Validation or a rule of the books refused it; nothing was written.",
    "415": "The body is not `application/json` (Content-Type missing or another type).",
    "429": "Too many requests.",
}
ALLOW_HEADER = {"Allow": {"description": "The methods this path answers, e.g. `GET, HEAD, OPTIONS, POST`.", "required": True,
                          "schema": {"type": "string"}}}
#: the errors only an operation with a request body can answer
BODY_ERRORS = frozenset({"415"})


def _strip(schema):
    """JSON Schema as published: our private ``format: month`` stays (unknown formats are annotations)."""
    return copy.deepcopy(schema)


def document() -> dict:
    paths: dict[str, dict] = {}
    for op in core.OPERATIONS:
        content = {"application/json": {"schema": _strip(op.response or {"type": "object"})}}
        content.update({media: {"schema": {"type": "string", "format": "binary"}} for media in op.files})
        responses = {str(op.status): {"description": "OK" if op.status == 200 else "Created", "content": content}}
        for code in ERRORS:
            if (code == "409" and op.method == "GET") or (code in BODY_ERRORS and op.body is None):
                continue
            responses[code] = {"$ref": f"#/components/responses/E{code}"}
        item = {
            "operationId": op.endpoint, "summary": op.summary, "tags": [op.tag], "responses": responses,
            "parameters": [{"name": p.name, "in": p.where, "required": p.required or p.where == "path", "schema": _strip(p.schema),
                            **({"description": p.description} if p.description else {})} for p in op.params],
        }
        if op.permission:
            item["description"] = (op.description + "\n\n" if op.description else "") + f"Permission: `{op.permission}`."
            item["security"] = [{"bearer": []}]
        if op.idempotent:
            item["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                       "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,200}$"},
                                       "description": "A repeat with the same body returns the first response; another body is 409."})
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {"application/json": {"schema": _strip(op.body)}}}
        paths.setdefault(op.path, {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Koppontren API", "version": "1.0.0",
                 "description": "JSON API of Koppontren (issue 8). Amounts are decimal strings, dates YYYY-MM-DD. Errors: "
                                "`{\"error\": {\"code\", \"message\", \"fields\"}}`."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(core.SCHEMAS),
            "responses": {f"E{code}": {"description": text, "content": {"application/json": {"schema": ERROR}},
                                       **({"headers": ALLOW_HEADER} if code == "405" else {})}
                          for code, text in ERRORS.items()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A token from the page 'Token API' or `koppontren token create`."}},
        },
    }
