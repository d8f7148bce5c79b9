"""The cooperative's users and their roles — through auth.services, as the users page does, with
its permission (users.manage, the admin). Passwords are set by their owners: the API adds a user
with a first password they must change at the first login, and never hands one out."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from koppontren.api.core import ApiError, operation, schema
from koppontren.api.schemas import obj, text
from koppontren.auth import services as auth
from koppontren.auth.models import Role
from koppontren.operations import unit_of_work
from koppontren.tenancy.models import Cooperative

ROLE = {"type": "string", "enum": [r.value for r in Role]}
USER = schema("User", obj({
    "login": {"type": "string"}, "name": {"type": "string"}, "active": {"type": "boolean"},
    "roles": {"type": "array", "items": {"type": "string"}}, "must_change_password": {"type": "boolean"},
}, ("login", "name", "active", "roles"), closed=False))
USER_IN = schema("UserInput", obj({
    "login": text(80, 3), "name": text(200, 1),
    "password": {**text(200, 1), "description": "A first password (the password rules apply); the person must change it at the first login."},
    "role": ROLE,
}, ("login", "name", "password", "role")))
ROLES_IN = schema("UserRolesInput", obj({
    "roles": {"type": "array", "items": ROLE, "maxItems": len(Role), "description": "The roles the user has afterwards: those missing "
              "are granted, the others revoked (the user's API tokens here end with a revoked role; the last admin keeps "
              "the admin role: last_admin)."},
}, ("roles",)))


def user_json(user, roles) -> dict:
    return {"login": user.login, "name": user.name, "active": bool(user.is_active_account), "roles": sorted(str(r) for r in roles),
            "must_change_password": bool(user.must_change_password)}


def _user_or_404(coop: Cooperative, login: str):
    found = next(((u, roles) for u, roles in auth.users_of(coop) if u.login == auth.normalise_login(login)), None)
    if found is None:
        raise ApiError(404, "not_found", _l("Pengguna %(l)s tidak ada di koperasi ini.", l=login[:80]))
    return found


@operation("GET", "/coops/{coop}/users", summary="The cooperative's users and their roles", tag="users", permission="users.manage",
           response={"type": "object", "properties": {"items": {"type": "array", "items": USER}}, "required": ["items"]})
def list_users(coop: Cooperative):
    return {"items": [user_json(u, roles) for u, roles in auth.users_of(coop)]}


@operation("POST", "/coops/{coop}/users", summary="Add a user with a first role", tag="users", permission="users.manage",
           body=USER_IN, response=USER, status=201)
def create_user(coop: Cooperative, body: dict):
    user = auth.add_user_to_coop(coop, login=body["login"], name=body["name"], password=body["password"], role=body["role"],
                                 actor=g.api_user)
    return user_json(user, auth.roles_of(user, coop)), 201


@operation("PUT", "/coops/{coop}/users/{login}/roles", summary="Set a user's roles in the cooperative", tag="users",
           permission="users.manage", body=ROLES_IN, response=USER)
def put_user_roles(coop: Cooperative, login: str, body: dict):
    user, roles = _user_or_404(coop, login)
    wanted = {Role(r) for r in body["roles"]}
    with unit_of_work():  # every grant and revoke, or none
        for role in sorted(wanted - roles):
            auth.grant_role(coop, user, role, actor=g.api_user)
        for role in sorted(roles - wanted):
            auth.revoke_role(coop, user, role, actor=g.api_user)
    return user_json(user, auth.roles_of(user, coop))


ACTIVE_IN = schema("UserActiveInput", obj({"active": {"type": "boolean", "description": (
    "false: the account cannot log in, its sessions end and its API tokens are revoked for good; not your own, "
    "not one that also opens another cooperative (own_account, other_cooperatives).")}}, ("active",)))


@operation("PATCH", "/coops/{coop}/users/{login}", summary="Deactivate a user or activate them again", tag="users",
           permission="users.manage", body=ACTIVE_IN, response=USER)
def patch_user(coop: Cooperative, login: str, body: dict):
    user, roles = _user_or_404(coop, login)
    auth.set_active(user, body["active"], actor=g.api_user, coop=coop)
    return user_json(user, roles)


@operation("POST", "/coops/{coop}/users/{login}/unlock", summary="Clear the login delays wrong passwords put on a user", tag="users",
           permission="users.manage", response=USER)
def unlock_user(coop: Cooperative, login: str):
    user, roles = _user_or_404(coop, login)
    auth.unlock_user(user, actor=g.api_user, cooperative_id=coop.id)
    return user_json(user, roles)
