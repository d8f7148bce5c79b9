"""What a refused import file answers: every problem of every bad row, as (row, column, problem).

One table for every import: the page shows it (``templates/_import.html``), the command line prints
it one problem a line, the API puts each problem on a field. Rows are numbered as in the
spreadsheet (the header is row 1); columns are named as the file names them, ``-`` for the file as
a whole; problems are in the user's language (Indonesian by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from koppontren.errors import DomainError

#: problems put into an error's ``fields`` (the API's answer); the page and the CLI show them all
MAX_FIELDS = 200


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    problem: str


class RowsRefusedError(DomainError):
    """A file refused whole (code ``invalid_file``): ``problems`` lists every problem of every bad
    row, and nothing of the file was stored. Each importer's error mixes this into its domain's
    error, ``class MemberImportError(RowsRefusedError, MemberError)``, so a caller catching the domain's
    error catches it too."""

    def __init__(self, message, problems: list[RowProblem]):
        super().__init__("invalid_file", message, {f"row {p.row}": f"{p.column}: {p.problem}" for p in problems[:MAX_FIELDS]})
        self.problems = problems
