"""The ``koppontren`` command: Flask's CLI group with the project's own commands (DESIGN.md §3).

Flags here are a contract used by scripts and docs. Errors print one clear line and exit 1 (bad
usage exits 2, as click does).
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from koppontren import create_app
from koppontren.errors import DomainError
from koppontren.tenancy import rls


def main() -> None:
    """Entry point of the ``koppontren`` console script."""
    cli = FlaskGroup(create_app=lambda: create_app(), help="Koppontren: accounting for pesantren cooperatives.")
    cli.main(prog_name="koppontren")


def register_commands(app) -> None:
    """Attach the project's commands to ``app.cli`` (``db``, ``run``, ``routes`` come from Flask and Flask-Migrate)."""
    from koppontren.cashbank.cli import cash_group
    from koppontren.members.cli import import_group
    from koppontren.savings.cli import savings_group
    from koppontren.shu.cli import shu_group

    app.cli.add_command(coop_group)
    app.cli.add_command(user_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(check_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(export_group)
    app.cli.add_command(restore_command)
    app.cli.add_command(import_group)
    app.cli.add_command(savings_group)
    app.cli.add_command(token_group)
    app.cli.add_command(shu_group)
    app.cli.add_command(generate_command)
    app.cli.add_command(cash_group)
    for command in (coop_group, user_group, demo_command, check_command, backup_command, export_group, restore_command,
                    import_group, savings_group, token_group, shu_group, generate_command, cash_group):
        _across_cooperatives(command)


def _across_cooperatives(command: click.Command) -> None:
    """Run the command (every command of a group) inside the audited row-level security bypass:
    the command line works for the operator, across cooperatives (tenancy.rls)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _across_cooperatives(sub)
        return
    if command.callback is None or getattr(command.callback, "rls_handled", False):
        return
    callback = command.callback

    @functools.wraps(callback)
    def run(*args, **kwargs):
        ctx = click.get_current_context()
        with contextlib.ExitStack() as stack:
            if not current_app:  # as with_appcontext would: the app of the command line
                stack.enter_context(ctx.ensure_object(ScriptInfo).load_app().app_context())
            stack.enter_context(rls.bypass(f"cli {ctx.command_path}"))
            return callback(*args, **kwargs)

    run.rls_handled = True  # type: ignore[attr-defined]
    command.callback = run


def _fail(err: DomainError | str) -> None:
    message = str(err.message) if isinstance(err, DomainError) else err
    code = f" [{err.code}]" if isinstance(err, DomainError) else ""
    raise click.ClickException(f"{message}{code}")


@click.group("coop", help="Manage cooperatives.")
def coop_group() -> None:
    pass


@coop_group.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Full name, e.g. 'Koperasi Pondok Pesantren Al-Hikmah'.")
@click.option("--fiscal-year-start", "fiscal_year_start", type=click.IntRange(1, 12), default=1,
              show_default=True, help="Month (1-12) in which the fiscal year (tahun buku) starts.")
@click.option("--legal-number", help="Nomor badan hukum.")
@click.option("--pesantren", "pesantren_name", help="Name of the pondok pesantren.")
@click.option("--currency-decimals", type=click.IntRange(0, 2), default=0, show_default=True)
@click.option("--books-start", "books_start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Awal pembukuan (YYYY-MM-DD): no entry before it; default the first day of the current fiscal year.")
@with_appcontext
def coop_create(slug, name, fiscal_year_start, legal_number, pesantren_name, currency_decimals, books_start) -> None:
    """Create cooperative SLUG (the first part of its URLs)."""
    from koppontren.tenancy import services

    try:
        coop = services.create_cooperative(
            slug, name, fiscal_year_start_month=fiscal_year_start, legal_number=legal_number,
            pesantren_name=pesantren_name, currency_decimals=currency_decimals,
            books_start=books_start.date() if books_start else None,
        )
    except DomainError as err:
        _fail(err)
    click.echo(f"Created cooperative {coop.slug}: {coop.name}")


@click.group("user", help="Manage user accounts.")
def user_group() -> None:
    pass


@user_group.command("create")
@click.argument("login")
@click.option("--coop", "coop_slug", help="Cooperative slug the role applies to.")
@click.option("--role", type=click.Choice(["admin", "treasurer", "cashier", "auditor", "member"]),
              help="Role in the cooperative.")
@click.option("--operator", is_flag=True, help="Make a platform operator instead of a cooperative role.")
@click.option("--name", help="Full name (defaults to the login).")
@click.option("--password", help="Password; prompted for (hidden) when absent.")
@with_appcontext
def user_create(login, coop_slug, role, operator, name, password) -> None:
    """Create account LOGIN with a role in a cooperative, or as a platform operator.

    If LOGIN already exists (and no --password is given), the role is added to it.
    """
    from koppontren.auth import services as auth
    from koppontren.extensions import db
    from koppontren.tenancy import services as tenancy

    if operator and (coop_slug or role):
        raise click.UsageError("--operator cannot be combined with --coop/--role.")
    if not operator and not (coop_slug and role):
        raise click.UsageError("give --coop SLUG and --role ROLE, or --operator.")
    coop = None
    if coop_slug:
        coop = tenancy.get_by_slug(coop_slug)
        if coop is None:
            _fail(f"No cooperative with slug '{coop_slug}'.")
    existing = auth.get_user_by_login(login)
    if existing is not None and password:
        _fail(f"User '{existing.login}' already exists; it keeps its password.")
    try:
        if existing is None:
            if not password:
                password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
            user = auth.create_user(login, name or login, password, is_operator=operator, commit=False)
        else:
            user = existing
            if operator:
                if user.is_operator:
                    _fail(f"User '{user.login}' is already a platform operator.")
                user.is_operator = True
        if coop is not None:
            auth.grant_role(coop, user, role, commit=False)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        _fail(err)
    what = "platform operator" if operator else f"{role} of {coop.slug}"
    verb = "Added" if existing is not None else "Created"
    click.echo(f"{verb} {user.login} as {what}")


@user_group.command("unlock")
@click.argument("login")
@with_appcontext
def user_unlock(login) -> None:
    """Clear the login delays of LOGIN (wrong passwords make each address wait longer: 1 s doubling
    to 15 minutes); its next attempt, from anywhere, is checked at once."""
    from koppontren.auth import services as auth

    user = auth.get_user_by_login(login)
    if user is None:
        _fail(f"No user '{login}'.")
    if auth.unlock_user(user, actor=None):
        click.echo(f"Unlocked {user.login}: its login delays are cleared")
    else:
        click.echo(f"Unlocked {user.login} (it had no login delay)")


@user_group.command("deactivate")
@click.argument("login")
@with_appcontext
def user_deactivate(login) -> None:
    """Deactivate account LOGIN: it can't log in, every session of it ends, its API tokens are revoked for good."""
    _set_active(login, False)


@user_group.command("activate")
@click.argument("login")
@with_appcontext
def user_activate(login) -> None:
    """Let deactivated account LOGIN log in again (its old sessions and tokens stay ended)."""
    _set_active(login, True)


def _set_active(login: str, active: bool) -> None:
    from koppontren.auth import services as auth

    user = auth.get_user_by_login(login)
    if user is None:
        _fail(f"No user '{login}'.")
    auth.set_active(user, active, actor=None)
    click.echo(f"{'Activated' if active else 'Deactivated'} {user.login}")


@user_group.command("reset-password")
@click.argument("login")
@with_appcontext
def user_reset_password(login) -> None:
    """Give account LOGIN a one-time password (printed alone on the last line); it must be changed at
    the next login. Every session of the account ends, its API tokens are revoked, its login delays cleared."""
    from koppontren.auth import services as auth

    user = auth.get_user_by_login(login)
    if user is None:
        _fail(f"No user '{login}'.")
    password = auth.operator_reset_password(user)
    click.echo(f"One-time password for {user.login} (shown once; it must be changed at the next login):")
    click.echo(password)


@click.group("token", help="Manage API tokens.")
def token_group() -> None:
    pass


@token_group.command("create")
@click.option("--coop", "coop_slug", required=True, help="Cooperative slug the token is for.")
@click.option("--user", "login", required=True, help="Login of the user the token acts as (with their roles there).")
@click.option("--name", default="CLI", show_default=True, help="A name to recognise the token by.")
@with_appcontext
def token_create(coop_slug, login, name) -> None:
    """Create an API token; the token is printed once, alone on the last line."""
    from koppontren.auth import services as auth
    from koppontren.auth import tokens
    from koppontren.tenancy import services as tenancy

    coop = tenancy.get_by_slug(coop_slug)
    if coop is None:
        _fail(f"No cooperative with slug '{coop_slug}'.")
    user = auth.get_user_by_login(login)
    if user is None:
        _fail(f"No user with login '{login}'.")
    try:
        row, plain = tokens.create_token(coop, user, name)
    except DomainError as err:
        _fail(err)
    roles = ", ".join(sorted(str(r) for r in auth.roles_of(user, coop)))
    click.echo(f"Created API token {row.prefix}… for {user.login} in {coop.slug} ({roles}); it is shown only now:")
    click.echo(plain)


@click.command("demo")
@click.option("--slug", default="demo", show_default=True, help="Slug of the demo cooperative.")
@click.option("--base-url", help="Where the app is served, for the printed URL (default: http://SERVER_NAME or 127.0.0.1:5000).")
@with_appcontext
def demo_command(slug: str, base_url: str | None) -> None:
    """Create (once) a demo cooperative with one user per role, and print the logins."""
    from koppontren.demo import DEMO_PASSWORD, ensure_demo

    coop, logins, created = ensure_demo(slug)
    click.echo(("Created" if created else "Found") + f" demo cooperative '{coop.name}' ({coop.slug})")
    base = (base_url or f"http://{current_app.config.get('SERVER_NAME') or '127.0.0.1:5000'}").rstrip("/")
    click.echo(f"URL: {base}/{coop.slug}/")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, login, name in logins:
        click.echo(f"  {role:<10} {login:<22} {name}")


@click.command("check")
@click.option("--coop", "coop_slug", help="Check only this cooperative (default: all).")
@with_appcontext
def check_command(coop_slug: str | None) -> None:
    """Verify the ledger: balanced entries, zero trial balance, gapless vouchers, hash chain, subledgers.

    Prints a report per cooperative and exits with 1 when anything is wrong.
    """
    from sqlalchemy import select

    from koppontren.extensions import db
    from koppontren.ledger.integrity import check_cooperative
    from koppontren.tenancy import services as tenancy
    from koppontren.tenancy.models import Cooperative

    if coop_slug:
        coop = tenancy.get_by_slug(coop_slug)
        if coop is None:
            _fail(f"No cooperative with slug '{coop_slug}'.")
        coops = [coop]
    else:
        coops = list(db.session.scalars(select(Cooperative).order_by(Cooperative.slug)))
    failed = 0
    with click.progressbar(coops, label="Checking", file=click.get_text_stream("stderr"),
                           item_show_func=lambda c: c.slug if c else "") as bar:
        reports = [check_cooperative(coop) for coop in bar]
    for report in reports:
        click.echo(f"{report.coop.slug} — {report.coop.name}")
        for result in report.results:
            click.echo(f"  [{'ok' if result.ok else 'FAIL'}] {result.name}")
            for problem in result.problems[:50]:
                click.echo(f"         {problem}")
            if len(result.problems) > 50:
                click.echo(f"         … and {len(result.problems) - 50} more")
        failed += not report.ok
    click.echo(f"{len(reports) - failed} of {len(reports)} cooperative(s) clean.")
    if failed:
        raise SystemExit(1)


@click.command("backup")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the backup file (default: the instance folder's backups/).")
@with_appcontext
def backup_command(directory: Path | None) -> None:
    """Back up the whole database to a timestamped file with a .sha256 checksum beside it.

    SQLite: the online backup API (safe while the app serves); PostgreSQL: pg_dump custom format.
    """
    from koppontren import backup
    from koppontren.extensions import db

    directory = directory or Path(current_app.instance_path) / "backups"
    try:
        path, checksum = backup.backup(db.engine, directory)
    except backup.BackupError as err:
        _fail(str(err))
    for line in backup.fingerprint(db.engine).summary():
        click.echo(line)
    click.echo(f"sha256: {checksum}")
    click.echo(str(path))


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Restore backup FILE into the configured database, which must be empty.

    The file's .sha256 must match; a SQLite backup restores only into SQLite and a pg_dump only into PostgreSQL.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from koppontren import backup
    from koppontren.extensions import db

    # the tables' owner's work, as the migrations are (the app's role may make no table): its URL
    # (the app's when there is no split), its session past row-level security like theirs
    url = current_app.config.get("MIGRATE_DATABASE_URI") or db.engine.url.render_as_string(hide_password=False)
    options = {"connect_args": {"options": "-c app.rls_bypass=on"}} if url.startswith("postgresql") else {}
    target = create_engine(url, poolclass=NullPool, **options)
    try:
        checksum = backup.restore(target, file)
        click.echo(f"Restored {file.name} (sha256 {checksum} verified)")
        for line in backup.fingerprint(target).summary():
            click.echo(line)
    except backup.BackupError as err:
        _fail(str(err))
    finally:
        target.dispose()


restore_command.callback.rls_handled = True  # type: ignore[union-attr]  - the owner's work, not the app's: see above


@click.group("export", help="Export a cooperative's books to other tools.")
def export_group() -> None:
    pass


@export_group.command("hledger")
@click.option("--coop", "coop_slug", required=True, help="Cooperative slug.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
@with_appcontext
def export_hledger(coop_slug: str, out_path: Path | None) -> None:
    """Write the cooperative's whole ledger as an hledger journal (``hledger -f FILE balance``)."""
    import sys

    from koppontren.ledger.export import write_hledger
    from koppontren.tenancy import services as tenancy

    coop = tenancy.get_by_slug(coop_slug)
    if coop is None:
        _fail(f"No cooperative with slug '{coop_slug}'.")
    err = click.get_text_stream("stderr")
    show = (lambda n: err.write(f"\r{n:,} transactions written")) if out_path else None
    if out_path:
        partial = out_path.with_name(out_path.name + ".partial")
        with partial.open("w", encoding="utf-8") as out:
            count = write_hledger(coop, out, progress=show)
        partial.replace(out_path)
        err.write("\n")
        click.echo(f"{count} transactions written to {out_path}")
    else:
        write_hledger(coop, sys.stdout)


@click.command("generate")
@click.option("--coops", type=int, required=True, help="How many cooperatives to build.")
@click.option("--members", type=int, required=True, help="Members per cooperative.")
@click.option("--years", type=int, required=True, help="Fiscal years of history, ending last December (each closed, with its SHU).")
@click.option("--seed", type=int, required=True, help="Seed: the same seed on an empty database gives the same ledger.")
@click.option("--lines-target", type=int, help="Journal lines per cooperative to reach (sizes the daily sales); "
                                              "default: members/10 sales a day.")
@click.option("--slug-prefix", default="gen", show_default=True, help="Cooperatives are named PREFIX-1, PREFIX-2, …")
@with_appcontext
def generate_command(coops, members, years, seed, lines_target, slug_prefix) -> None:
    """Build realistic cooperatives: members, savings, shop purchases and daily sales, expenses, year closes and SHU."""
    import time

    from koppontren import generate

    options = generate.Options(coops=coops, members=members, years=years, seed=seed, lines_target=lines_target,
                               slug_prefix=slug_prefix)
    try:
        options.validate()
    except DomainError as err:
        raise click.UsageError(str(err.message)) from None
    start = time.perf_counter()
    try:
        with click.progressbar(length=generate.total_steps(options), label="Generating", file=click.get_text_stream("stderr"),
                               show_pos=True) as bar:
            summaries = generate.generate(options, step=bar.update)
    except DomainError as err:
        _fail(err)
    seconds = time.perf_counter() - start
    for s in summaries:
        click.echo(f"{s.slug}: {s.members} members, {s.sales} sales ({s.member_sales} to members), {s.purchases} purchases, "
                   f"years closed {', '.join(map(str, s.years_closed))}, SHU {', '.join(map(str, s.shu_runs)) or 'none'}; "
                   f"{s.entries:,} entries, {s.lines:,} lines; chain head {s.last_hash[:16]}")
    lines = sum(s.lines for s in summaries)
    click.echo(f"{lines:,} journal lines in {seconds:.0f} s ({lines / max(seconds, 0.001):,.0f} lines/s)")
