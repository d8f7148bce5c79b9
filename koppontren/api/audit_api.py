"""The audit log (issue 18 §10, ``GET /coops/{coop}/audit-events``): who did what, when and from
where, newest first — as JSON pages, or the whole filtered log as CSV or XLSX for auditors (the
same rows as the page ``/<slug>/audit`` and its exports). Admins and auditors (``audit.view``)."""

from __future__ import annotations

from flask import Response, send_file, stream_with_context

from koppontren.api.core import ApiError, Param, operation, paged, schema
from koppontren.api.schemas import STRING_OR_NULL, obj
from koppontren.api.schemas import page_of as page_schema
from koppontren.shell import audit_log as log
from koppontren.tenancy.models import Cooperative

MIME = {"csv": "text/csv", "xlsx": log.XLSX_MIME}

AUDIT_EVENT = schema("AuditEvent", obj({
    "id": {"type": "integer"},
    "time": {"type": "string", "description": "When, ISO 8601 in UTC."},
    "action": {"type": "string", "description": "Stable action code, e.g. entry.posted, role.granted."},
    "action_label": {"type": "string", "description": "The action in the token user's language."},
    "actor": {"type": "string", "description": "Who acted, as the page shows it: \"login (name)\" for a person, "
                                                  "\"API token <name>\" (Indonesian \"Token API <name>\") or \"CLI\"."},
    "actor_kind": {"type": "string", "enum": ["person", "token", "cli", "anonymous"],
                   "description": "person: someone on the pages; token: through the API; cli: the command line; "
                                  "anonymous: nobody logged in (a failed login)."},
    "login": {**STRING_OR_NULL, "description": "The acting user's login (a token acts as its user)."},
    "name": {**STRING_OR_NULL, "description": "The acting user's name."},
    "token": {**STRING_OR_NULL, "description": "The API token's name (actor_kind token)."},
    "ip_address": STRING_OR_NULL,
    "detail": {"type": "object", "description": "The action's parameters as recorded (codes, decimal strings)."},
    "details": {"type": "array", "items": obj({"key": {"type": "string"}, "label": {"type": "string"}, "value": {"type": "string"}},
                                              ("key", "label", "value")),
                "description": "The same, labelled and formatted as the page shows them (amounts in Rupiah, accounts with names)."},
}, ("id", "time", "action", "action_label", "actor", "actor_kind", "login", "name", "token", "ip_address", "detail", "details")))

FILTERS = [
    Param("user", "query", {"type": "string", "maxLength": 80}, "Only actions by this login (or user id)."),
    Param("action", "query", {"type": "string", "maxLength": 60}, "Only this action code."),
    Param("from", "query", {"type": "string", "format": "date"}, "From this day (the cooperative's time zone)."),
    Param("to", "query", {"type": "string", "format": "date"}, "Up to and including this day."),
    Param("format", "query", {"type": "string", "enum": ["json", "csv", "xlsx"], "default": "json"},
          "json (paged), or the whole filtered log as csv or xlsx."),
]


@operation("GET", "/coops/{coop}/audit-events", summary="The audit log, newest first (JSON, CSV or XLSX)", tag="audit",
           permission="audit.view", query=FILTERS, paginated=True, response=page_schema(AUDIT_EVENT), files=tuple(MIME.values()),
           description="Who did what: each event's actor (a person, an API token or the command line), action and details. "
                       "`page`/`per_page` page the JSON; CSV and XLSX hold every event the filters select, with cells that "
                       "begin with = + - @ neutralised.")
def list_audit_events(coop: Cooperative, query: dict):
    try:
        filters = log.parse_filters(coop, query)
    except log.AuditLogError as err:
        raise ApiError(422, err.code, err.message, err.fields) from None
    fmt = query.get("format", "json")
    if fmt == "csv":
        return Response(stream_with_context(log.csv_lines(coop, filters)), mimetype=MIME["csv"],
                        headers={"Content-Disposition": f'attachment; filename="{log.filename(coop, filters, "csv")}"'})
    if fmt == "xlsx":
        return send_file(log.xlsx_file(coop, filters), mimetype=MIME["xlsx"], as_attachment=True,
                         download_name=log.filename(coop, filters, "xlsx"))
    page, per_page = query["page"], query["per_page"]
    total = log.count(coop, filters)
    rows = log.present(coop, log.events(coop, filters, limit=per_page, offset=(page - 1) * per_page))
    return paged([log.as_json(row) for row in rows], total, query)
