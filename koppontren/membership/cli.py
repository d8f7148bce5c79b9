"""``koppontren import members FILE --coop SLUG``: the member import from the command line.

The flags are a contract (DESIGN.md §3). A refused file prints every problem, one per line, and
exits 1; bad values exit 1, bad usage exits 2 (click's own).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from koppontren import money
from koppontren.errors import DomainError

STEP_LABELS = {"check": "Checking rows", "write": "Writing members"}


def _fail(message) -> None:
    code = f" [{message.code}]" if isinstance(message, DomainError) else ""
    raise click.ClickException(f"{message}{code}")


class _ProgressBars:
    """The importer's progress callback: one click progress bar (on stderr) per step."""

    def __init__(self) -> None:
        self.step: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step:
            self.close()
            self.step, self.done = step, 0
            self.bar = click.progressbar(length=max(total, 1), label=STEP_LABELS.get(step, step), file=click.get_text_stream("stderr"))
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.group("import", help="Import data from CSV/XLSX files.")
def import_group() -> None:
    pass


@import_group.command("members")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--coop", "coop_slug", required=True, metavar="SLUG", help="Slug of the cooperative the members join.")
@click.option("--dry-run", is_flag=True, help="Check the file and show what would be created; write nothing.")
@click.option("--date", "entry_date", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Date of the opening-balance entry of the members' savings; members with a balance must have joined by then. "
                   "Default: today.")
@click.option("--account", "account_code", metavar="CODE",
              help="Code of the counter account debited by the opening balances (e.g. a bank, or 3104). "
                   "Default: the cash/bank account of the savings settings.")
@with_appcontext
def import_members_command(file: Path, coop_slug: str, dry_run: bool, entry_date, account_code: str | None) -> None:
    """Import members from FILE (.csv or .xlsx) with their opening savings, all or nothing.

    Columns (Indonesian or English headers): nomor/number, nama/name, nik, kategori/category,
    jenis_kelamin/gender, tanggal_lahir/birth_date, telepon/phone, alamat/address,
    tanggal_masuk/join_date, pokok, wajib, sukarela, wajib_lunas_sampai/wajib_paid_until.
    A file with any bad row imports nothing and lists every problem.
    """
    from koppontren.membership import importer
    from koppontren.tenancy import services as tenancy

    coop = tenancy.get_by_slug(coop_slug)
    if coop is None:
        _fail(f"No cooperative with slug '{coop_slug}'.")
    bars = _ProgressBars()
    try:
        outcome = importer.import_members(coop, file.read_bytes(), file.name, entry_date=entry_date.date() if entry_date else None,
                                          account=account_code, dry_run=dry_run, progress=bars)
    except importer.MemberImportError as err:
        bars.close()
        for p in err.problems:
            click.echo(f"row {p.row}, column {p.column}: {p.problem}")
        _fail(f"{err.message} ({len(err.problems)} problem(s))")
    except DomainError as err:
        bars.close()
        _fail(err)
    bars.close()

    def amount(sen: int) -> str:
        return money.format_idr(money.from_sen(sen), coop.currency_decimals)

    totals = outcome.totals
    balances = f"pokok {amount(totals['pokok'])}, wajib {amount(totals['wajib'])}, sukarela {amount(totals['sukarela'])}"
    if dry_run:
        click.echo(f"Dry run: {outcome.count} member(s) would be created, numbers {outcome.numbers[0]} … {outcome.numbers[-1]}.")
        if outcome.assigned_numbers:
            click.echo(f"Numbers from the sequence: {outcome.assigned_numbers[0]} … {outcome.assigned_numbers[-1]} "
                       f"({len(outcome.assigned_numbers)}).")
        if outcome.total:
            click.echo(f"Opening entry on {outcome.entry_date.isoformat()}, debit {outcome.account.code} {outcome.account.name_id}: "
                       f"{balances}; {outcome.month_count} wajib month(s).")
        click.echo("Nothing was written.")
        return
    click.echo(f"Created {outcome.count} member(s), numbers {outcome.numbers[0]} … {outcome.numbers[-1]}.")
    if outcome.entry_number:
        click.echo(f"Opening entry {outcome.entry_number} (debit {outcome.account_code}): {balances}; "
                   f"{outcome.month_count} wajib month(s).")
    else:
        click.echo("No opening balances: no entry posted.")
