"""``koppontren shu …``: SHU work from the command line (the members' SHU slips as one PDF)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("shu", help="SHU (Sisa Hasil Usaha): slips.")
def shu_group() -> None:
    pass


@shu_group.command("slips")
@click.option("--coop", "coop_slug", required=True, help="Cooperative slug.")
@click.option("--year", type=int, required=True, help="Fiscal year of the SHU run.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True, help="PDF file to write.")
@click.option("--member", "numbers", multiple=True, help="Member number; repeat for several. Default: every member of the run.")
@click.option("--processes", type=click.IntRange(1, 16), default=None,
              help="Worker processes laying out the slips (default: the CPUs available, at most 2).")
@with_appcontext
def slips(coop_slug, year, out, numbers, processes) -> None:
    """Write the SHU slips of a year's run as one PDF (one page per member), with a progress bar."""

    from koppontren.commands import fail as _fail
    from koppontren.members import services as members
    from koppontren.shu import documents, services
    from koppontren.tenancy.services import get_by_slug

    coop = get_by_slug(coop_slug)
    if coop is None:
        _fail(f"No cooperative with slug '{coop_slug}'.")
    run = services.get_run(coop, year)
    if run is None:
        _fail(f"No SHU run for {year} in '{coop_slug}' (compute it first).")
    member_ids = None
    if numbers:
        member_ids = []
        for number in numbers:
            member = members.get_by_number(coop, number)
            if member is None:
                _fail(f"No member {number}.")
            member_ids.append(member.id)
    count = len(member_ids) if member_ids is not None else len(services.shares_of(coop, run))
    with click.progressbar(length=count, label=f"SHU slips {year}", file=click.get_text_stream("stderr")) as bar:
        pdf = documents.slips_pdf(coop, run, member_ids, progress=bar.update,
                                  processes=processes or default_processes())
    with open(out, "wb") as f:
        f.write(pdf)
    click.echo(f"{count} slips written to {out}.")


def default_processes() -> int:
    """The CPUs this process may use, at most 2 (slips are laid out in parallel, not the database)."""
    import os

    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))
