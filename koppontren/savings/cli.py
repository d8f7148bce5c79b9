"""``koppontren savings …``: savings work from the command line (bulk wajib collection)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("savings", help="Members' savings (simpanan).")
def savings_group() -> None:
    pass

@savings_group.command("wajib-bulk")
@click.option("--coop", "coop_slug", required=True, help="Cooperative slug.")
@click.option("--month", required=True, help="Month the wajib pays, YYYY-MM.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Entry date (default: today).")
@click.option("--account", "account_code", help="Cash or bank account code that received the money (default: the savings setting).")
@click.option("--member", "numbers", multiple=True, help="Member number; repeat for several. Default: every active member who has not paid that month.")
@click.option("--note", help="Added to the description, e.g. 'dipotong dari honor'.")
@click.option("--dry-run", is_flag=True, help="Show who would be collected, write nothing.")
@with_appcontext
def wajib_bulk(coop_slug, month, day, account_code, numbers, note, dry_run) -> None:
    """Record one month's simpanan wajib for many members as one journal entry (all or nothing)."""
    from koppontren import money
    from koppontren.commands import fail as _fail
    from koppontren.errors import DomainError
    from koppontren.savings import services
    from koppontren.tenancy.services import get_by_slug

    coop = get_by_slug(coop_slug)
    if coop is None:
        _fail(f"No cooperative with slug '{coop_slug}'.")
    try:
        ym = services.parse_month(month)
    except DomainError as err:
        _fail(err)
    account_id = _account_id(coop, account_code)
    chosen = _chosen(coop, ym, numbers)
    total = sum(rate for _, rate in chosen)
    click.echo(f"{len(chosen)} member(s), {money.format_idr(money.from_sen(total), coop.currency_decimals)} for {services.month_key(ym)}")
    if dry_run or not chosen:
        return
    try:
        with click.progressbar(length=1, label="Posting", file=click.get_text_stream("stderr")) as bar:
            entry, txs = services.collect_wajib_bulk(coop, month=ym, member_ids=[m.id for m, _ in chosen],
                                                    day=day.date() if day else None, account_id=account_id, note=note)
            bar.update(1)
    except services.BulkRefusedError as err:
        for problem in err.problems:
            click.echo(f"  {problem.member_number}: {problem.problem}", err=True)
        _fail(err)
    except DomainError as err:
        _fail(err)
    click.echo(f"Posted {entry.number}: {len(txs)} member(s)")


def _account_id(coop, account_code: str | None) -> int | None:
    """The id of the account with that code (None: the savings setting's default)."""
    from koppontren.commands import fail as _fail
    from koppontren.ledger import chart

    if not account_code:
        return None
    account = chart.account_by_code(coop, account_code)
    if account is None:
        _fail(f"No account {account_code} in {coop.slug}.")
    return account.id


def _chosen(coop, ym, numbers) -> list:
    """(member, monthly rate) of the members named, or of every active member who has not paid ``ym``."""
    from koppontren.commands import fail as _fail
    from koppontren.members import services as members
    from koppontren.savings import services

    if not numbers:
        return services.bulk_candidates(coop, ym)
    ids = []
    for number in numbers:
        member = members.get_by_number(coop, number)
        if member is None:
            _fail(f"No member {number} in {coop.slug}.")
        ids.append(member.id)
    rates = services.get_settings(coop)
    return [(m, rates.wajib_rate(m.category)) for m in members.members_by_ids(coop, ids).values()]
