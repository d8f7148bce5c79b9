"""The platform operator's work on cooperatives that needs users and roles: a new cooperative with its
first admin, and the list of cooperatives with their number of users (no books). Here, above
tenancy, because tenancy knows nothing of users."""

from __future__ import annotations

from sqlalchemy import func, select

from koppontren.auth import services as auth_services
from koppontren.auth.models import Role, RoleAssignment, User
from koppontren.extensions import db
from koppontren.operations import command
from koppontren.tenancy import services as tenancy
from koppontren.tenancy.models import Cooperative


@command("tenancy.create_cooperative_with_admin")
def create_cooperative_with_admin(
    slug: str, name: str, *, admin_login: str, admin_name: str, admin_password: str,
    actor: User | None = None, **profile,
) -> tuple[Cooperative, User]:
    """The operator's "new cooperative" action: the cooperative and its first admin, in one unit of work."""
    coop = tenancy.create_cooperative(slug, name, actor=actor, **profile)
    admin = auth_services.create_user(admin_login, admin_name, admin_password, actor=actor)
    auth_services.grant_role(coop, admin, Role.ADMIN, actor=actor)
    return coop, admin


def list_cooperatives() -> list[tuple[Cooperative, int]]:
    """Every cooperative with its number of users — what a platform operator may see (no books)."""
    users = (
        select(RoleAssignment.cooperative_id, func.count(func.distinct(RoleAssignment.user_id)).label("n"))
        .group_by(RoleAssignment.cooperative_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Cooperative, func.coalesce(users.c.n, 0))
        .outerjoin(users, users.c.cooperative_id == Cooperative.id)
        .order_by(Cooperative.name)
    ).all()
    return [(coop, n) for coop, n in rows]
