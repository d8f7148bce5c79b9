"""The demo cooperative: realistic Indonesian names (Faker id_ID, fixed seed), one user per role.

Idempotent: a second run finds what the first created and changes nothing.
"""

from __future__ import annotations

from faker import Faker

from koppontren.auth import services as auth
from koppontren.auth.models import Role
from koppontren.extensions import db
from koppontren.tenancy import services as tenancy
from koppontren.tenancy.models import Cooperative

DEMO_PASSWORD = "demo-koppontren"  # noqa: S105 - printed on purpose: the demo is for trying the app
ROLE_LOGINS = [
    (Role.ADMIN, "demo.admin"),
    (Role.TREASURER, "demo.bendahara"),
    (Role.CASHIER, "demo.kasir"),
    (Role.AUDITOR, "demo.pengawas"),
    (Role.MEMBER, "demo.anggota"),
]
OPERATOR_LOGIN = "demo.operator"


def ensure_demo(slug: str = "demo", seed: int = 2026) -> tuple[Cooperative, list[tuple[str, str, str]], bool]:
    """Create the demo cooperative and its users unless they exist; return (coop, logins, created)."""
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    coop = tenancy.get_by_slug(slug)
    created = coop is None
    if created:
        pesantren = f"Pondok Pesantren {fake.random_element(['Al-Hikmah', 'Darul Ulum', 'Nurul Huda', 'Miftahul Jannah', 'Roudlotul Muta’allimin'])}"
        city = fake.city()
        coop = tenancy.create_cooperative(
            slug, f"Koperasi {pesantren} {city}",
            pesantren_name=pesantren,
            legal_number=f"AHU-{fake.random_number(digits=7, fix_len=True)}.AH.01.26.TAHUN 2024",
            nik_koperasi=str(fake.random_number(digits=16, fix_len=True)),
            address=fake.address().replace("\n", ", "),
            commit=False,
        )
    logins = []
    for role, login in ROLE_LOGINS:
        name = fake.name()
        user = auth.get_user_by_login(login)
        if user is None:
            user = auth.create_user(login, name, DEMO_PASSWORD, commit=False)
        if role not in auth.roles_of(user, coop):
            auth.grant_role(coop, user, role, commit=False)
        logins.append((role.value, user.login, user.name))
    operator = auth.get_user_by_login(OPERATOR_LOGIN)
    if operator is None:
        operator = auth.create_user(OPERATOR_LOGIN, fake.name(), DEMO_PASSWORD, is_operator=True, commit=False)
    logins.append(("operator", operator.login, operator.name))
    db.session.commit()
    return coop, logins, created
