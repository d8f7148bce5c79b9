"""Loading a member for a page of any package (the register's, savings', …): the current
cooperative's member, or 404 — another cooperative's member is as absent as a missing one."""

from __future__ import annotations

from flask import abort

from koppontren.members import services
from koppontren.members.models import Member
from koppontren.tenancy.scoping import current_coop


def member_or_404(member_id: int) -> Member:
    member = services.get_member(current_coop(), member_id)
    if member is None:
        abort(404)
    return member
