"""Every state-changing operation a page can do is an API operation too (issue 19, point 7): the
views' calls into the services are read from the source with ``ast`` and each service that changes
state must also be called by a module of ``koppontren/api`` — or be listed in WEB_ONLY with the
reason it belongs to the browser alone.

A service "changes state" when it writes through the session (``add``, ``delete``, ``flush``,
``commit``, an ``update``/``insert``/``delete`` statement), is a ``@command``, or calls one that does
(followed through imports, module aliases and re-exports across ``koppontren``). A page or an API
module "calls" it when it refers to it: ``wallet.topup if … else wallet.refund`` counts both.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import koppontren

PACKAGE = Path(koppontren.__file__).parent

#: state-changing services the pages call and the API deliberately does not, and why
WEB_ONLY = {
    "koppontren.auth.services.authenticate": "logging in makes a browser session; the API authenticates each request by its token",
    "koppontren.auth.services.record_logout": "logging out ends browser sessions; a token is revoked instead",
    "koppontren.auth.services.change_password": "a person changes their own password in a session, typing the current one",
    "koppontren.auth.services.confirm_password": "re-typing the password before a sensitive page action is a session's step",
    "koppontren.auth.services.set_locale": "the language of the person's pages (the API answers in the token user's language)",
    "koppontren.auth.services.reset_password": "the one-time password is shown once on the admin's screen: the API hands out no passwords",
    "koppontren.membership.portal.create_member_login": "the member's one-time password is printed on a slip: the API hands out no passwords",
    "koppontren.membership.portal.reset_member_password": "the member's one-time password is printed on a slip: the API hands out no passwords",
    "koppontren.wallet.services.create_wali": "a new wali's one-time password is printed on a slip: the API hands out no passwords "
                                              "(POST /wallets/{nis}/walis links an existing user)",
    "koppontren.wallet.services.set_wali_limits": "a wali lowers their own santri's limits in the wali portal, within the "
                                                  "treasurer's; the API's PUT /santri/{number}/limits is the treasurer's",
    "koppontren.auth.tokens.create_token": "API tokens are made in a signed-in session only: a token must not mint tokens",
    "koppontren.auth.tokens.revoke_token": "API tokens are managed in a signed-in session only (revoking a role or deactivating a user "
                                           "through the API revokes that user's tokens)",
    "koppontren.auth.platform.create_cooperative_with_admin": "the platform operator's action across cooperatives; an API token "
                                                                 "belongs to one cooperative",
    "koppontren.ledger.opening.import_opening": "a spreadsheet upload with a dry run on the page; POST /opening-balances takes the "
                                                "same balances as JSON",
    "koppontren.membership.importer.import_members": "a spreadsheet upload with a dry run on the page; the API registers members one by "
                                                  "one (POST /members) and posts their opening savings (POST /opening-balances)",
    "koppontren.shop.importer.import_products": "a spreadsheet upload with a dry run on the page; the API adds products one by one "
                                                "(POST /products)",
    "koppontren.wallet.importer.import_santri": "a spreadsheet upload with a dry run on the page; the API opens wallets one by one "
                                                "(POST /wallets)",
    "koppontren.wallet.importer.import_statement": "a bank statement upload matched on the page; the API records each top-up "
                                                   "(POST /wallets/{nis}/topups)",
}

WRITES = {"add", "add_all", "commit", "flush", "delete", "merge"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def _functions() -> dict[str, ast.FunctionDef]:
    return {f"{m}.{n.name}": n for m, tree in _modules().items() for n in tree.body if isinstance(n, ast.FunctionDef)}


@cache
def _imported_names(module: str) -> dict[str, str]:
    """Local name -> what it names in koppontren (a module or a module's attribute)."""
    names = {}
    for node in ast.walk(_modules()[module]):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("koppontren"):
            names.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
        elif isinstance(node, ast.Import):
            names.update({a.asname or a.name: a.name for a in node.names if a.name.startswith("koppontren")})
    return names


def _reference(node: ast.expr, module: str) -> str | None:
    """``alias.name`` or ``name`` in ``module`` as a dotted name in koppontren."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        base = _imported_names(module).get(node.value.id)
        return f"{base}.{node.attr}" if base in _modules() else None
    if isinstance(node, ast.Name):
        return _imported_names(module).get(node.id, f"{module}.{node.id}")
    return None


def _resolve(name: str, depth: int = 0) -> str | None:
    """The function a dotted name finally is (through re-exports and ``x = other.x`` aliases)."""
    if name in _functions():
        return name
    module, _dot, attr = name.rpartition(".")
    if depth > 8 or module not in _modules():
        return None
    if attr in _imported_names(module):
        return _resolve(_imported_names(module)[attr], depth + 1)
    for node in _modules()[module].body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in node.targets):
            target = _reference(node.value, module)
            return _resolve(target, depth + 1) if target else None
    return None


def _referenced(tree: ast.AST, module: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name) and isinstance(node.ctx, ast.Load):
            name = _reference(node, module)
            if name and (function := _resolve(name)):
                found.add(function)
    return found


def _writes_itself(fn: ast.FunctionDef) -> bool:
    for decorator in fn.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(call, ast.Name | ast.Attribute) and (getattr(call, "id", None) or getattr(call, "attr", None)) == "command":
            return True
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target = node.func.value
        if node.func.attr in WRITES and isinstance(target, ast.Attribute) and target.attr == "session":
            return True
        if node.func.attr == "execute" and node.args and isinstance(node.args[0], ast.Call) \
                and getattr(node.args[0].func, "id", None) in ("update", "insert", "delete"):
            return True
    return False


@cache
def _state_changing() -> frozenset[str]:
    writers = {name for name, fn in _functions().items() if _writes_itself(fn)}
    calls = {name: _referenced(fn, name.rpartition(".")[0]) - {name} for name, fn in _functions().items()}
    grown = True
    while grown:
        before = len(writers)
        writers |= {name for name, called in calls.items() if called & writers}
        grown = len(writers) > before
    return frozenset(writers)


def _is_page(module: str) -> bool:
    return module.rpartition(".")[2].endswith("views")


def _is_api(module: str) -> bool:
    return module.startswith("koppontren.api.")


def _is_service(function: str) -> bool:
    """A function of a domain module: not a page, not the API, not a form or a page helper."""
    module = function.rpartition(".")[0]
    last = module.rpartition(".")[2]
    return not (_is_page(module) or _is_api(module) or module.startswith("koppontren.site.") or last.endswith("forms"))


def _services_called_by(kind) -> dict[str, set[str]]:
    """State-changing service -> the modules of ``kind`` that call it."""
    out: dict[str, set[str]] = {}
    for module, tree in _modules().items():
        if kind(module):
            for function in _referenced(tree, module) & _state_changing():
                if _is_service(function):
                    out.setdefault(function, set()).add(module)
    return out


def test_every_state_changing_service_a_page_calls_is_an_api_operation_too():
    pages, api = _services_called_by(_is_page), _services_called_by(_is_api)
    missing = sorted(f"{service} (from {', '.join(sorted(pages[service]))})" for service in pages.keys() - api.keys() - WEB_ONLY.keys())
    assert missing == [], "give these an API operation in koppontren/api, or a reason in WEB_ONLY"


def test_web_only_lists_only_what_pages_do_and_the_api_does_not():
    pages, api = _services_called_by(_is_page), _services_called_by(_is_api)
    assert sorted(WEB_ONLY.keys() - pages.keys()) == [], "no page calls these (any more): remove them from WEB_ONLY"
    assert sorted(WEB_ONLY.keys() & api.keys()) == [], "the API calls these now: remove them from WEB_ONLY"
    assert all(len(reason) > 20 for reason in WEB_ONLY.values())


def test_the_walk_sees_what_it_should():
    """The walk itself: a direct call, one through a conditional (``service = a if … else b``), one
    through a module alias (``x = _other.x``) and one only reached through inner functions all count."""
    changing = _state_changing()
    assert {"koppontren.wallet.services.topup", "koppontren.wallet.services.refund",  # wallet.views picks one of the two
            "koppontren.wallet.reconcile.record_in_transit",  # wallet.services re-exports it
            "koppontren.shop.catalogue.update_credit_limits",  # writes inside its work() closure
            "koppontren.ledger.posting.post_entry"} <= changing
    assert "koppontren.ledger.chart.account_by_code" not in changing  # a read
    pages = _services_called_by(_is_page)
    assert {"koppontren.wallet.services.topup", "koppontren.wallet.services.refund", "koppontren.wallet.reconcile.record_in_transit",
            "koppontren.tenancy.officers.replace_officers"} <= pages.keys()
    assert len(pages) > 60
