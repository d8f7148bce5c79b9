"""One framework for every spreadsheet import (members, products, opening balances, santri, bank
statements):

* ``reader``   — the one streaming reader of CSV and XLSX files, bounded before anything large is read;
* ``cells``    — a cell read as text, an amount or a date;
* ``spec``     — ``ImportSpec``: the columns (names, aliases, required; the header mapping is
  case- and space-insensitive), the check of every row, the template;
* ``problems`` — the one problems table (row, column, problem) and ``RowsRefusedError``;
* ``run``      — the one dry run and commit: all or nothing;
* ``pages``    — the upload handler and template download of every import page (with the macro
  ``templates/_import.html``).

Importers build on these and never on each other (an import-linter contract keeps it so).
"""

from koppontren.imports.cells import cell_amount, cell_date, cell_text, header_key, is_blank, money_message
from koppontren.imports.problems import RowProblem, RowsRefusedError
from koppontren.imports.reader import MAX_COLUMNS, MAX_ENTRIES, MAX_LINE, ImportFileError, TooManyRowsError, read_table
from koppontren.imports.run import run_import
from koppontren.imports.spec import Column, ColumnMap, ImportSpec, Progress, Row, Unique

__all__ = [
    "MAX_COLUMNS", "MAX_ENTRIES", "MAX_LINE", "Column", "ColumnMap", "ImportFileError", "ImportSpec", "Progress", "Row", "RowProblem",
    "RowsRefusedError", "TooManyRowsError", "Unique", "cell_amount", "cell_date", "cell_text", "header_key", "is_blank", "money_message",
    "read_table", "run_import",
]
