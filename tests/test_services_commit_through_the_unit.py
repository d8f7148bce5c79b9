"""The members, savings, wallet and SHU packages change state only through the one unit of work
(``koppontren.operations``): no module of theirs commits or rolls back by hand, hides its logic in
an inner ``work()`` closure, or recognises a replay by ``was_replayed`` itself (the operation key
does). Read from the source with ``ast``, so a new module is covered by itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import koppontren

PACKAGES = ("members", "savings", "wallet", "shu")
#: the spreadsheet importers run through the import framework's own unit (koppontren/imports)
OWNED_ELSEWHERE = {"importer.py", "import_views.py"}
ROOT = Path(koppontren.__file__).parent


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            if path.name not in OWNED_ELSEWHERE:
                yield pytest.param(path, id=f"{package}/{path.name}")


def _problems(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("commit", "rollback"):
            found.append(f"line {node.lineno}: .{node.func.attr}()")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = [n for n in ast.walk(node) if isinstance(n, ast.FunctionDef) and n is not node and n.name == "work"]
            found += [f"line {n.lineno}: inner work() in {node.name}" for n in inner]
            if node.name in ("_commit_or_rollback", "_unit_of_work"):
                found.append(f"line {node.lineno}: private unit-of-work helper {node.name}")
        if getattr(node, "attr", None) == "was_replayed" or (isinstance(node, ast.Constant) and node.value == "was_replayed"):
            found.append(f"line {node.lineno}: replay recognised by was_replayed")
    return found


@pytest.mark.parametrize("path", list(_modules()))
def test_no_hand_written_transaction_or_replay_handling(path):
    assert _problems(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_the_check_finds_what_it_forbids():
    source = (
        "def f():\n    def work():\n        db.session.commit()\n    return _commit_or_rollback(work)\n"
        "def _commit_or_rollback(fn):\n    db.session.rollback()\n"
        "def g(entry):\n    return getattr(entry, 'was_replayed', False) or entry.was_replayed\n"
    )
    assert len(_problems(ast.parse(source))) == 6
