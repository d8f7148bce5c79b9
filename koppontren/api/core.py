"""The machinery every API endpoint shares: one declaration per operation (path, permission,
schemas) from which both the Flask route and the OpenAPI document are made, bearer-token
authentication, strict JSON and schema validation, domain errors as JSON, pagination and
Idempotency-Key replay.

An endpoint is a plain function decorated with :func:`operation`. It receives the cooperative,
the checked body and query (``body``, ``query``) and the path's other parameters, calls one
service and returns ``payload`` or ``(payload, status)``. Everything it raises that is a
DomainError becomes ``{"error": {"code", "message", "fields"}}`` with 404/409/422.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import wraps

from flask import Blueprint, Response, current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from koppontren import money
from koppontren.auth import tokens
from koppontren.auth.permissions import PERMISSIONS
from koppontren.errors import DomainError
from koppontren.extensions import csrf, db, limiter
from koppontren.operations import unit_of_work
from koppontren.operations.models import OperationKey
from koppontren.tenancy.models import Cooperative

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)

MAX_BODY = 1_000_000
MAX_PER_PAGE = 500
MAX_KEY = 200
KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
#: how long a second request with the same key waits for the first one to finish
IDEMPOTENCY_WAIT = 15.0
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MONTH_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")

#: domain error codes that are conflicts with what is already recorded (409); not_found is 404; the rest 422
CONFLICT_CODES = frozenset({
    "idempotency_conflict", "in_progress", "duplicate_number", "duplicate_nik", "duplicate_sku", "duplicate_barcode",
    "duplicate_code", "already_reversed", "cannot_reverse_reversal", "opening_exists", "pokok_already_paid", "month_paid",
    "conflict", "already_closed", "not_draft", "run_frozen", "already_paid", "run_changed",
    "duplicate_nis", "card_exists", "already_linked", "already_cleared", "duplicate_reference",
    "already_arrived", "transfer_reversed", "login_taken", "role_exists",
})


class ApiError(DomainError):
    """A refusal made by the API layer itself (bad JSON, bad token, validation)."""

    def __init__(self, status: int, code: str, message: object, fields: dict | None = None):
        super().__init__(code, message, fields)
        self.status = status


def status_of(err: DomainError) -> int:
    if isinstance(err, ApiError):
        return err.status
    if err.code == "not_found":
        return 404
    return 409 if err.code in CONFLICT_CODES else 422


def error_payload(err: DomainError) -> dict:
    return {"error": {"code": err.code, "message": str(err.message), "fields": {k: str(v) for k, v in err.fields.items()}}}


def dumps(payload) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(dumps(payload), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def file_response(data: bytes, filename: str, mimetype: str) -> Response:
    """A document for download (``format=pdf|xlsx`` of the report endpoints)."""
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def error_response(err: DomainError) -> Response:
    status = status_of(err)
    headers = {"WWW-Authenticate": 'Bearer realm="koppontren"'} if status == 401 else None
    if err.code == "in_progress":
        headers = {"Retry-After": "2"}  # the first request with this key is still running (or died: see the stale limit)
    return json_response(error_payload(err), status, headers)


# --- schemas: a registry shared by the validator and the OpenAPI document ----------------------

SCHEMAS: dict[str, dict] = {}


def schema(name: str, definition: dict) -> dict:
    """Register a named schema (components/schemas) and return a reference to it."""
    SCHEMAS[name] = definition
    return {"$ref": f"#/components/schemas/{name}"}


def _resolve(s: dict) -> dict:
    ref = s.get("$ref")
    return SCHEMAS[ref.rsplit("/", 1)[1]] if ref else s


_TYPE_WORDS = {"object": _l("objek"), "array": _l("daftar"), "string": _l("teks"), "integer": _l("bilangan bulat"),
               "boolean": _l("true/false"), "null": "null"}
#: a problem of these keywords hides every other problem at the same place and below it (as one message per field)
_BLOCKING = ("type", "storable", "enum", "minItems", "maxItems")
#: when one value breaks several keywords, the message of the first of them is the one given
_ORDER = {k: n for n, k in enumerate(("type", "storable", "enum", "required", "additionalProperties", "minLength",
                                       "maxLength", "pattern", "format", "minimum", "maximum", "minItems", "maxItems"))}


def _storable_type(validator, types, instance, s):
    """``type``, and for a string also "storable" (no NUL, no lone surrogate): the API's text must
    go into PostgreSQL and out as UTF-8."""
    yield from Draft202012Validator.VALIDATORS["type"](validator, types, instance, s)
    if isinstance(instance, str) and validator.is_type(instance, "string") and not _storable(instance):
        yield ValidationError("not storable", validator="storable", validator_value=True, instance=instance, schema=s)


_FORMATS = FormatChecker(())
_FORMATS.checks("date")(lambda value: not isinstance(value, str) or _parse_date(value) is not None)
_FORMATS.checks("month")(lambda value: not isinstance(value, str) or MONTH_RE.match(value) is not None)
_Validator = validators.extend(Draft202012Validator, {"type": _storable_type})


_VALIDATORS: dict[int, tuple[dict, object]] = {}


def _validator(s: dict):
    """A Draft 2020-12 validator of ``s`` whose ``#/components/schemas/…`` references reach the
    registry (made once per schema: the schemas are constants of the modules)."""
    made = _VALIDATORS.get(id(s))
    if made is None or made[0] is not s:
        made = _VALIDATORS[id(s)] = (s, _Validator({**s, "components": {"schemas": SCHEMAS}}, format_checker=_FORMATS))
    return made[1]


def _type_words(value) -> str:
    return " / ".join(str(_TYPE_WORDS[t]) for t in ([value] if isinstance(value, str) else value))


#: keyword -> today's wording of its problem (the API has always spoken these), from the keyword's value
_MESSAGES = {
    "type": lambda v: _("Harus berupa %(t)s.", t=_type_words(v)),
    "storable": lambda v: _("Berisi karakter yang tidak sah."),
    "enum": lambda v: _("Salah satu dari: %(v)s.", v=", ".join(str(x) for x in v if x is not None)),
    "minLength": lambda v: _("Wajib diisi.") if v == 1 else _("Terlalu pendek."),
    "maxLength": lambda v: _("Paling banyak %(n)s karakter.", n=v),
    "pattern": lambda v: _("Bentuknya tidak sah."),
    "format": lambda v: _("Bulan harus YYYY-MM.") if v == "month" else _("Tanggal harus YYYY-MM-DD."),
    "minimum": lambda v: _("Paling kecil %(n)s.", n=v),
    "maximum": lambda v: _("Paling besar %(n)s.", n=v),
    "minItems": lambda v: _("Paling sedikit %(n)s.", n=v),
    "maxItems": lambda v: _("Paling banyak %(n)s.", n=v),
}


def _field(where: str, path) -> str:
    """``lines.2.debit``: the dotted place of a value, list items counted from 1."""
    parts = [where] if where else []
    parts += [str(p + 1) if isinstance(p, int) else str(p) for p in path]
    return ".".join(parts)


def _problems_of(err, where: str) -> list[tuple[str, str]]:
    """(field, message) for one jsonschema error: a missing or an unknown property is named itself."""
    place = _field(where, err.absolute_path)
    if err.validator == "required":
        missing = [n for n in err.validator_value if isinstance(err.instance, dict) and n not in err.instance]
        return [(_field(place, [n]), _("Wajib diisi.")) for n in missing]
    if err.validator == "additionalProperties" and err.validator_value is False:
        known = err.schema.get("properties", {})
        return [(_field(place, [n])[:200], _("Kolom tidak dikenal.")) for n in err.instance if n not in known]
    message = _MESSAGES.get(err.validator, lambda v: _("Tidak sah."))(err.validator_value)
    return [(place or "body", message)]


def _hidden(key: str, blocked: list[tuple[str, str]]) -> bool:
    """Whether a problem at ``key`` is hidden by a blocking one at or above it (the value's type is
    wrong, or its list too long: what is inside it is not looked at)."""
    return any(key != own and (place == "" or key.startswith(place + ".")) for place, own in blocked)


def validate(s: dict, value, where: str, problems: dict[str, str]) -> None:
    """Check ``value`` against the JSON Schema ``s`` (Draft 2020-12, with the ``jsonschema`` library);
    put each problem in ``problems`` under its dotted field name (``lines.2.debit``, lines counted
    from 1), one message per field: when a value breaks several keywords, the first in ``_ORDER``."""
    found: dict[str, tuple[int, str]] = {}
    blocked: list[tuple[str, str]] = []  # (place, its key) of each blocking problem
    for err in _validator(s).iter_errors(value):
        if err.validator in _BLOCKING:
            place = _field(where, err.absolute_path)
            blocked.append((place, place or "body"))
        rank = _ORDER.get(err.validator, len(_ORDER))
        for key, message in _problems_of(err, where):
            if key not in found or rank < found[key][0]:
                found[key] = (rank, message)
    problems.update({key: message for key, (_rank, message) in found.items() if not _hidden(key, blocked)})


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL refuses it in text) and no lone surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _path_ok(params: list[Param], kwargs: dict) -> bool:
    """A path whose parameters cannot name anything (wrong shape) answers 404, like an unknown one."""
    for p in params:
        if p.where != "path" or p.name not in kwargs:
            continue
        value = kwargs[p.name]
        if isinstance(value, str):
            if not _storable(value) or ("pattern" in p.schema and not re.search(p.schema["pattern"], value)) \
                    or ("enum" in p.schema and value not in p.schema["enum"]):
                return False
        elif isinstance(value, int) and not p.schema.get("minimum", value) <= value <= p.schema.get("maximum", value):
            return False
    return True


def _parse_date(text: str) -> date | None:
    if not isinstance(text, str) or not DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def as_date(text: str | None, field_name: str = "date") -> date | None:
    if text is None:
        return None
    day = _parse_date(text)
    if day is None:
        raise ApiError(422, "invalid_date", _l("Tanggal harus YYYY-MM-DD."), {field_name: _l("Tidak sah.")})
    return day


def amount(coop: Cooperative, value, field_name: str, *, allow_zero: bool = False) -> Decimal:
    """A decimal-string amount, strictly: ASCII digits, a point, no more decimals than the cooperative books."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,15}(\.[0-9]{1,2})?", value):
        raise ApiError(422, "invalid_amount", _l("Jumlah harus berupa teks desimal seperti \"1500000\" atau \"1500000.00\"."),
                       {field_name: _l("Tidak sah.")})
    try:
        return money.parse_amount_api(value, coop.currency_decimals, allow_zero=allow_zero)
    except money.MoneyError as err:
        from flask_babel import get_locale

        locale = get_locale()
        message = err.message if locale is not None and locale.language == "en" else err.message_id
        raise ApiError(422, err.code, message, {field_name: message}) from None


def amount_out(coop: Cooperative, sen: int | None) -> str | None:
    if sen is None:
        return None
    return str(money.from_sen(sen).quantize(Decimal(1).scaleb(-coop.currency_decimals)))


# --- operations ----------------------------------------------------------------------------------

@dataclass
class Param:
    """A path or query parameter: its name, where it is, its schema and a description."""

    name: str
    where: str  # "path" | "query"
    schema: dict
    description: str = ""
    required: bool = False


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI form: /coops/{coop}/members/{number}
    endpoint: str
    summary: str
    tag: str
    permission: str | None
    params: list[Param]
    body: dict | None
    response: dict | None
    status: int
    idempotent: bool
    paginated: bool
    description: str = ""
    files: tuple[str, ...] = ()


OPERATIONS: list[Operation] = []

#: path parameters and their schemas, the same for every operation that has them
PATH_PARAMS: dict[str, tuple[str, dict, str]] = {
    "coop": ("string", {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,39}$"}, "The cooperative's slug."),
    "code": ("string", {"type": "string", "pattern": "^[0-9A-Za-z.-]{1,20}$"}, "Account code, e.g. 1101."),
    "number": ("path", {"type": "string", "pattern": "^[A-Z]{2,3}/[0-9]{4}/[0-9]{6}$"},
               "Voucher number, e.g. JU/2026/000001 (slashes may be sent as they are)."),
    "member": ("string", {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9./-]{0,29}$"}, "Member number, e.g. A-0001."),
    "kind": ("string", {"type": "string", "enum": ["pokok", "wajib", "sukarela"]}, "Kind of simpanan."),
    "sku": ("string", {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"}, "Product SKU."),
    "year": ("int", {"type": "integer", "minimum": 1900, "maximum": 2999}, "Calendar year (periods) or fiscal year (years)."),
    "month": ("int", {"type": "integer", "minimum": 1, "maximum": 12}, "Month 1–12."),
    "login": ("string", {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{2,79}$"}, "A user's login."),
    "id": ("int", {"type": "integer", "minimum": 1, "maximum": 2147483647}, "The row's id, as the API returned it."),
}
PAGE_PARAMS = [
    Param("page", "query", {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}, "Page, from 1."),
    Param("per_page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
          f"Items per page (at most {MAX_PER_PAGE})."),
]


def _flask_rule(path: str, aliases: dict[str, str]) -> str:
    def convert(m: re.Match) -> str:
        name = m.group(1)
        converter = PATH_PARAMS[aliases.get(name, name)][0]
        return f"<{name}>" if converter == "string" else f"<{converter}:{name}>"

    return re.sub(r"\{([a-z_]+)\}", convert, path)


def _query(params: list[Param]) -> dict:
    """The query string checked against the operation's query parameters (unknown ones ignored)."""
    out, problems = {}, {}
    for p in params:
        if p.where != "query":
            continue
        raw = request.args.get(p.name)
        if raw is None or raw == "":
            if "default" in p.schema:
                out[p.name] = p.schema["default"]
            continue
        value: object = raw
        if p.schema.get("type") == "integer":
            if not re.fullmatch(r"[0-9]{1,9}", raw):
                problems[p.name] = _("Harus berupa bilangan bulat.")
                continue
            value = int(raw)
        validate(p.schema, value, p.name, problems)
        out[p.name] = value
    if problems:
        raise ApiError(422, "validation_error", next(iter(problems.values())), problems)
    return out


def _no_constants(name: str):
    raise ValueError(name)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose keys are all different: ``{"amount": "1", "amount": "9"}`` is refused
    rather than read as whichever came last (a proxy or a log may have read the other one)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def loads(text: str) -> object:
    """JSON as the API reads it: exact decimals, no NaN/Infinity, no duplicate keys at any depth."""
    return json.loads(text, parse_constant=_no_constants, parse_float=Decimal, object_pairs_hook=_unique_keys)


def read_json() -> object:
    """The request body as JSON: exact decimals are strings, NaN/Infinity and floats of any size are
    refused by the schemas, not here; malformed JSON or a key twice in one object is a 400, a body
    that is not ``application/json`` a 415."""
    data = request.get_data(cache=True)
    if len(data) > MAX_BODY:
        raise ApiError(400, "body_too_large", _l("Permintaan terlalu besar."))
    if not data.strip():
        return {}  # no body at all: an empty object (its required fields are then named one by one)
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", _l("Isi permintaan harus JSON dengan Content-Type: application/json."),
                       {"Content-Type": _l("Harus application/json.")})
    try:
        return loads(data.decode("utf-8"))
    except _DuplicateKeyError as err:
        raise ApiError(400, "invalid_json", _l("Isi permintaan bukan JSON yang sah: kunci \"%(k)s\" muncul dua kali dalam satu objek.",
                                               k=err.key[:60])) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "invalid_json", _l("Isi permintaan bukan JSON yang sah.")) from None


def _body(body_schema: dict) -> dict:
    value = read_json()
    problems: dict[str, str] = {}
    try:
        validate(body_schema, _floats_as_marker(value), "", problems)
    except RecursionError:
        raise ApiError(400, "invalid_json", _l("Isi permintaan bukan JSON yang sah.")) from None
    if problems:
        raise ApiError(422, "validation_error", next(iter(problems.values())), problems)
    return value  # type: ignore[return-value]


class _Float:
    """A JSON number with a fraction: never a valid value anywhere in the API (amounts are strings)."""


def _floats_as_marker(value):
    if isinstance(value, Decimal):
        return _Float()
    if isinstance(value, list):
        return [_floats_as_marker(v) for v in value]
    if isinstance(value, dict):
        return {k: _floats_as_marker(v) for k, v in value.items()}
    return value


def _authenticate(slug: str, permission: str | None) -> Cooperative:
    """The bearer token's cooperative, with ``g.api_user``, ``g.api_token`` (id, name) and ``g.roles`` set: 401 without a valid
    token, 404 for another cooperative's path (as if it did not exist), 403 for a missing permission.
    A session cookie authenticates nothing here."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    found = tokens.authenticate(value.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        raise ApiError(401, "unauthorized", _l("Token API tidak ada, salah atau sudah dicabut."))
    token, user, coop, roles = found
    g._login_user = user  # Flask-Login's current user for this request: the token's, never the session's
    g.api_token = (token.id, token.name)  # the audit log names the token an action came through
    if coop.slug != slug:
        raise ApiError(404, "not_found", _l("Tidak ditemukan."))
    g.coop, g.roles, g.api_user = coop, roles, user
    if permission is not None and not roles & PERMISSIONS[permission]:
        raise ApiError(403, "forbidden", _l("Peran Anda di koperasi ini tidak mengizinkan tindakan ini."))
    return coop


def _api_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "600 per minute")


def _api_ip_limit() -> str:
    return current_app.config.get("API_IP_RATE_LIMIT", "1200 per minute")


def _ip_key() -> str:
    return "api-ip:" + (request.remote_addr or "?")


def _limit_key() -> str:
    header = request.headers.get("Authorization", "")
    return "api:" + hashlib.sha256(header.encode("utf-8", "surrogatepass")).hexdigest()[:32] if header else \
        "api-ip:" + (request.remote_addr or "?")


def operation(method: str, path: str, *, summary: str, tag: str, permission: str | None, response: dict | None = None,
              body: dict | None = None, query: list[Param] | None = None, status: int = 200, idempotent: bool = False,
              paginated: bool = False, description: str = "", public: bool = False, aliases: dict[str, str] | None = None,
              files: tuple[str, ...] = ()):
    """Declare one API operation: registers the Flask route and what the OpenAPI document says of it.

    The endpoint returns ``payload`` or ``(payload, status)`` (sent as JSON), or — for operations
    that are not ``idempotent`` — a ready ``flask.Response`` (a PDF or XLSX; list its media types in
    ``files`` so the document says so). ``idempotent`` operations honour ``Idempotency-Key``.

    ``aliases`` maps a path parameter to the PATH_PARAMS entry describing it (``{"number": "member"}``:
    in /members/{number} the number is a member number, not a voucher)."""
    aliases = aliases or {}
    names = re.findall(r"\{([a-z_]+)\}", path)
    params = [Param(n, "path", PATH_PARAMS[aliases.get(n, n)][1], PATH_PARAMS[aliases.get(n, n)][2], True) for n in names]
    params += list(query or []) + (PAGE_PARAMS if paginated else [])

    def decorator(fn: Callable) -> Callable:
        endpoint = fn.__name__

        @wraps(fn)
        def view(**kwargs):
            try:
                coop = None
                if not _path_ok(params, kwargs) and public:
                    raise ApiError(404, "not_found", _l("Tidak ditemukan."))
                if not public:
                    valid_path = _path_ok(params, kwargs)
                    coop = _authenticate(kwargs.pop("coop"), permission)
                    if not valid_path:
                        raise ApiError(404, "not_found", _l("Tidak ditemukan."))
                args = {"query": _query(params)} if any(p.where == "query" for p in params) else {}
                if body is not None:
                    args["body"] = _body(body)
                if coop is not None:
                    args["coop"] = coop

                def run():
                    result = fn(**args, **kwargs)
                    payload, code = result if isinstance(result, tuple) else (result, status)
                    return payload, code

                if not idempotent:
                    result = fn(**args, **kwargs)
                    if isinstance(result, Response):  # a file (PDF, XLSX) made by the endpoint itself
                        return result
                    payload, code = result if isinstance(result, tuple) else (result, status)
                    return json_response(payload, code)

                if (key := request.headers.get("Idempotency-Key")) is not None:
                    return _idempotent(coop, key, run)
                payload, code = run()
                return json_response(payload, code)
            except DomainError as err:
                db.session.rollback()
                return error_response(err)

        view.required_permission = "public" if public else f"api:{permission or 'token'}"  # type: ignore[attr-defined]
        limited = view
        if not public:
            limited = limiter.limit(_api_limit, key_func=_limit_key)(limiter.limit(_api_ip_limit, key_func=_ip_key)(view))
        api_bp.add_url_rule(_flask_rule(path, aliases), endpoint=endpoint, view_func=limited, methods=[method])
        OPERATIONS.append(Operation(method, path, endpoint, summary, tag, permission, params, body, response, status,
                                    idempotent, paginated, description, files=files))
        return fn

    return decorator


def page_of(items: list, query: dict) -> tuple[list, dict]:
    """Slice a full list for ``?page=&per_page=``; returns (the page, the pagination fields)."""
    page, per_page = query.get("page", 1), query.get("per_page", 50)
    start = (page - 1) * per_page
    return items[start:start + per_page], {"total": len(items), "page": page, "per_page": per_page}


def paged(items: list, total: int, query: dict) -> dict:
    return {"items": items, "total": total, "page": query.get("page", 1), "per_page": query.get("per_page", 50)}


# --- idempotency ---------------------------------------------------------------------------------

def fingerprint() -> str:
    """SHA-256 of method, path and the body (canonical JSON when it parses, else the raw bytes)."""
    data = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(data.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constants),
                               sort_keys=True, separators=(",", ":"), default=str).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = data
    digest = hashlib.sha256()
    for part in (request.method.encode(), b"\n", request.path.encode(), b"\n", canonical):
        digest.update(part)
    return digest.hexdigest()


def service_key(key: str) -> str:
    """The idempotency key handed to the services (and so to the ledger): the API's own namespace."""
    return "api:" + key


def current_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    return service_key(key) if key is not None and KEY_RE.match(key) else None


#: the API's requests in the one table of operation keys: a namespace of their own beside the services' keys
REQUEST_OPERATION = "api"


def _request_key(key: str) -> str:
    return "http:" + key


def _stored(row: OperationKey) -> Response:
    return Response(row.body, status=row.status, mimetype="application/json", headers={"Idempotent-Replayed": "true"})


def _idempotent(coop: Cooperative, key: str, run: Callable[[], tuple[object, int]]) -> Response:
    """Run ``run`` once per (cooperative, key): the first request claims the key with a committed
    row (the unique key makes a concurrent twin wait for it), then stores its response; a repeat with
    the same fingerprint gets that response, a different one 409. A refusal (4xx) is stored and
    replayed like a success; only a crash (5xx) frees the key."""
    if not KEY_RE.match(key):
        raise ApiError(400, "invalid_idempotency_key", _l("Idempotency-Key: 1 sampai 200 karakter ASCII yang terlihat."),
                       {"Idempotency-Key": _l("Tidak sah.")})
    digest = fingerprint()
    deadline = time.monotonic() + IDEMPOTENCY_WAIT
    while True:
        row = db.session.scalar(select(OperationKey).where(
            OperationKey.cooperative_id == coop.id, OperationKey.key == _request_key(key)))
        if row is not None:
            if row.operation != REQUEST_OPERATION or row.request_hash != digest:
                db.session.rollback()
                raise ApiError(409, "idempotency_conflict", _l("Idempotency-Key ini sudah dipakai untuk permintaan lain."),
                               {"Idempotency-Key": _l("Sudah dipakai.")})
            if row.status is not None:
                response = _stored(row)
                db.session.rollback()
                return response
            created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
            # a key whose first request never finished (a crashed worker) is free again after this
            if datetime.now(UTC) - created > timedelta(seconds=current_app.config["API_IDEMPOTENCY_STALE_SECONDS"]):
                with unit_of_work():
                    db.session.execute(delete(OperationKey).where(
                        OperationKey.cooperative_id == coop.id, OperationKey.id == row.id))
                continue
            db.session.rollback()  # never hold a transaction (SQLite: the write lock) while waiting
            if time.monotonic() > deadline:
                raise ApiError(409, "in_progress", _l("Permintaan dengan Idempotency-Key ini masih diproses; coba lagi sebentar."))
            time.sleep(0.05)
            continue
        try:
            with unit_of_work():  # the claim is committed at once: a twin request sees it and waits
                db.session.add(OperationKey(cooperative_id=coop.id, key=_request_key(key), operation=REQUEST_OPERATION,
                                             request_hash=digest))
        except IntegrityError:
            continue
        break
    try:
        payload, code = run()
    except DomainError as err:
        # a refusal is the first response too: the same request again gets it again (the contract:
        # "a repeat with the same body returns the first response"), not a second attempt
        db.session.rollback()
        payload, code = error_payload(err), status_of(err)
    except BaseException:
        db.session.rollback()
        _release(coop, key)
        raise
    text = dumps(payload)
    if code < 500:
        with unit_of_work():
            db.session.execute(update(OperationKey).where(
                OperationKey.cooperative_id == coop.id, OperationKey.key == _request_key(key)).values(status=code, body=text))
    else:
        _release(coop, key)
    headers = {"Retry-After": "2"} if code == 409 and payload.get("error", {}).get("code") == "in_progress" else None
    return Response(text, status=code, mimetype="application/json", headers=headers)


def _release(coop: Cooperative, key: str) -> None:
    with unit_of_work():
        db.session.execute(delete(OperationKey).where(OperationKey.cooperative_id == coop.id, OperationKey.key == _request_key(key)))
