"""Tokens end when they should (issue 18 §4): an admin lists and revokes every API token of their
cooperative on the page *Token API*; nobody else sees or revokes another person's token, and
another cooperative's token id is 404. A password reset, a deactivation or the removal of a role
revokes the person's tokens for good — granting the role again does not revive one. The menu shows
*Token API* exactly to the roles whose permission opens the page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from koppontren.audit.models import AuditEvent
from koppontren.auth import services, tokens
from koppontren.auth.models import ApiToken
from koppontren.auth.permissions import PERMISSIONS
from koppontren.extensions import db
from tests.api.conftest import ROLES, Api
from tests.helpers import login

TOKENS_PAGE = "/alhikmah/tokens"


def _works(client, token: str, slug: str = "alhikmah") -> bool:
    response = client.get(f"/api/v1/coops/{slug}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 401)
    return response.status_code == 200


def _row(token: str) -> ApiToken:
    db.session.expire_all()
    return db.session.get(ApiToken, int(token.split("_")[1]))


@pytest.fixture
def made(coop, users):
    """One token per role of alhikmah: {role: token}."""
    return {role: tokens.create_token(coop, users[role], f"mesin {role}")[1] for role in ROLES if role != "member"}


def test_the_admin_lists_every_token_of_the_cooperative_with_its_user(client, coop, users, made, other_coop):
    login(client, "admin.alhikmah")
    page = client.get(TOKENS_PAGE).get_data(as_text=True)
    for role, token in made.items():
        assert f"<code>{role}.alhikmah</code>" in page and f"mesin {role}" in page
        assert token not in page  # only the prefix, never the token
    assert "bendahara.annur" not in page  # another cooperative's tokens are not listed


def test_the_admin_revokes_another_users_token(client, coop, users, made):
    login(client, "admin.alhikmah")
    token_id = _row(made["cashier"]).id
    response = client.post(f"{TOKENS_PAGE}/{token_id}/revoke")
    assert response.status_code == 302
    assert not _works(client, made["cashier"]) and _works(client, made["treasurer"])
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.revoked")).all()
    assert [(e.actor_id, e.detail.get("user")) for e in events] == [(users["admin"].id, "cashier.alhikmah")]


@pytest.mark.parametrize("role", ["treasurer", "cashier", "auditor"])
def test_others_see_only_their_own_tokens_and_cannot_revoke_anothers(client, coop, users, made, role):
    login(client, f"{role}.alhikmah")
    page = client.get(TOKENS_PAGE).get_data(as_text=True)
    assert f"mesin {role}" in page
    assert not any(f"mesin {other}" in page for other in made if other != role)
    for other, token in made.items():
        if other == role:
            continue
        assert client.post(f"{TOKENS_PAGE}/{_row(token).id}/revoke").status_code == 404
        assert _works(client, token)


def test_another_cooperatives_token_id_is_404_even_for_the_admin(client, coop, users, other_coop):
    _other, foreign = other_coop
    login(client, "admin.alhikmah")
    assert client.post(f"{TOKENS_PAGE}/{_row(foreign).id}/revoke").status_code == 404
    assert client.post(f"{TOKENS_PAGE}/999999/revoke").status_code == 404
    assert _works(client, foreign, "annur")
    # and through the other cooperative's path the admin of alhikmah finds nothing at all
    assert client.post(f"/annur/tokens/{_row(foreign).id}/revoke").status_code == 404


def test_members_and_walis_have_no_token_page(client, build, coop, users):
    build.user("wali.alhikmah", coop, "wali")
    for name in ("member.alhikmah", "wali.alhikmah"):
        login(client, name)
        assert client.get(TOKENS_PAGE).status_code == 403
        assert client.post(f"{TOKENS_PAGE}/1/revoke").status_code == 403
        client.post("/logout")


@pytest.mark.parametrize("role", ["admin", "treasurer", "cashier", "auditor", "member", "wali"])
def test_the_menu_shows_token_api_exactly_when_the_page_opens(client, build, coop, role):
    build.user(f"orang.{role}", coop, role)
    login(client, f"orang.{role}")
    dashboard = client.get("/alhikmah/").get_data(as_text=True)
    opens = client.get(TOKENS_PAGE).status_code == 200
    assert (f'href="{TOKENS_PAGE}"' in dashboard) == opens
    assert opens == (role in {r.value for r in PERMISSIONS["api.tokens"]})


def test_an_admins_password_reset_revokes_the_users_tokens_for_good(client, coop, users, made):
    login(client, "admin.alhikmah")
    assert client.post(f"/alhikmah/users/{users['cashier'].id}/reset-password").status_code == 200
    assert not _works(client, made["cashier"]) and _row(made["cashier"]).revoked_at is not None
    assert _works(client, made["treasurer"])


def test_the_operators_reset_revokes_the_tokens(app, client, coop, users, made):
    result = app.test_cli_runner().invoke(args=["user", "reset-password", "treasurer.alhikmah"])
    assert result.exit_code == 0, result.output
    db.session.commit()
    assert not _works(client, made["treasurer"])


def test_a_deactivation_revokes_the_tokens_and_an_activation_does_not_revive_them(client, coop, users, made):
    login(client, "admin.alhikmah")
    user_id = users["treasurer"].id
    assert client.post(f"/alhikmah/users/{user_id}/active", data={"active": "0"}).status_code == 302
    assert not _works(client, made["treasurer"])
    assert client.post(f"/alhikmah/users/{user_id}/active", data={"active": "1"}).status_code == 302
    assert not _works(client, made["treasurer"]) and _row(made["treasurer"]).revoked_at is not None
    assert _works(client, made["cashier"])


def test_removing_a_role_revokes_the_tokens_and_granting_it_again_does_not_revive_them(client, build, coop, users, made):
    build.user("treasurer.alhikmah", coop, "cashier")
    login(client, "admin.alhikmah")
    user_id = users["treasurer"].id
    client.post(f"/alhikmah/users/{user_id}/roles", data={"role": "treasurer", "action": "revoke"})
    assert not _works(client, made["treasurer"])  # still a cashier, but the old token is dead
    client.post(f"/alhikmah/users/{user_id}/roles", data={"role": "treasurer", "action": "grant"})
    assert not _works(client, made["treasurer"])
    assert _row(made["treasurer"]).revoked_at is not None
    # a token made afterwards works, with the current roles
    fresh = tokens.create_token(coop, users["treasurer"], "baru")[1]
    assert sorted(Api(client, fresh, "alhikmah").get("").json["roles"]) == ["cashier", "treasurer"]


def test_removing_a_role_in_one_cooperative_leaves_the_tokens_of_another(client, build, coop, users):
    other = build.coop("annur")
    build.user("treasurer.alhikmah", other, "treasurer")
    here = tokens.create_token(coop, users["treasurer"], "sini")[1]
    there = tokens.create_token(other, users["treasurer"], "sana")[1]
    services.revoke_role(coop, users["treasurer"], "treasurer", actor=users["admin"])
    assert not _works(client, here) and _works(client, there, "annur")


def test_the_page_shows_revoked_tokens_as_revoked(client, coop, users, made):
    services.revoke_role(coop, users["cashier"], "cashier", actor=users["admin"])
    login(client, "admin.alhikmah")
    page = client.get(TOKENS_PAGE).get_data(as_text=True)
    row = re.search(rf'<tr id="token-{_row(made["cashier"]).id}">(.*?)</tr>', page, re.S).group(1)
    assert "Dicabut" in row and "/revoke" not in row
