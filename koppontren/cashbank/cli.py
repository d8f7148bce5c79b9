"""``koppontren cash …``: cash and bank work from the command line (a transfer between cash accounts)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("cash", help="Cash and bank: transfers between cash accounts (mutasi kas).")
def cash_group() -> None:
    pass


@cash_group.command("transfer")
@click.option("--coop", "coop_slug", required=True, help="Cooperative slug.")
@click.option("--from", "from_code", required=True, help="Code of the cash account the money leaves (e.g. 1103).")
@click.option("--to", "to_code", required=True, help="Code of the cash account it goes to (e.g. 1111).")
@click.option("--amount", required=True, help="Amount, a decimal such as 1250000 or 1250000.00.")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Date the money leaves, YYYY-MM-DD.")
@click.option("--description", help="Description (default: 'Mutasi kas <from> ke <to>').")
@click.option("--fee", help="Bank fee charged to the source (Dr 6109).")
@click.option("--arrival-date", type=click.DateTime(["%Y-%m-%d"]), help="Arrival date, if later: through 1105 Kas dalam Perjalanan.")
@click.option("--key", help="Idempotency key: running the command again with it posts nothing more.")
@with_appcontext
def transfer(coop_slug, from_code, to_code, amount, day, description, fee, arrival_date, key) -> None:
    """Post a transfer between two cash accounts and print its voucher number on the last line."""
    from koppontren import money
    from koppontren.cashbank import services
    from koppontren.commands import fail as _fail
    from koppontren.errors import DomainError
    from koppontren.tenancy.services import get_by_slug

    coop = get_by_slug(coop_slug)
    if coop is None:
        _fail(f"No cooperative with slug '{coop_slug}'.")
    try:
        value = money.parse_amount_api(amount, coop.currency_decimals, allow_zero=True)
        charge = money.parse_amount_api(fee, coop.currency_decimals, allow_zero=True) if fee else None
        done = services.transfer_cash(coop, date=day.date(), from_account=from_code, to_account=to_code, amount=value,
                                      description=description, fee=charge, arrival_date=arrival_date.date() if arrival_date else None,
                                      idempotency_key=f"cli:{key}" if key else None)
    except money.MoneyError as err:
        _fail(f"--amount/--fee: {err.message} [{err.code}]")
    except DomainError as err:
        fields = ", ".join(f"{k}: {v}" for k, v in err.fields.items())
        _fail(f"{err.message} ({fields}) [{err.code}]" if fields else err)
    state = "already recorded" if done.was_replayed else ("in transit (1105)" if done.in_transit else "posted")
    click.echo(f"{done.number} {state}: {from_code} -> {to_code} {money.format_idr(money.from_sen(done.amount), coop.currency_decimals)}")
    click.echo(done.number)
