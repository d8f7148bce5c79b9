"""The demo cooperative: realistic Indonesian names (Faker id_ID, fixed seed), one user per role,
savings settings and a dozen members with their savings (the demo member login is the first).

Idempotent: a second run finds what the first created and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from faker import Faker

from koppontren.auth import services as auth
from koppontren.auth.models import Role
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.members import services as members
from koppontren.savings import services as savings
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
    if not members.search(coop, per_page=1)[1]:
        _demo_members(coop, fake, auth.get_user_by_login("demo.bendahara"), auth.get_user_by_login("demo.anggota"))
    return coop, logins, created


DEMO_RATES = {"santri": 10_000, "ustadz": 25_000, "karyawan": 20_000, "pengurus": 25_000, "alumni": 10_000, "masyarakat": 15_000}


def _demo_members(coop: Cooperative, fake: Faker, treasurer, member_user) -> None:
    """Savings settings and a dozen members with pokok, some months of wajib and sukarela, posted
    through the savings services like a treasurer would; the demo member login sees the first."""
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={c: Decimal(v) for c, v in DEMO_RATES.items()},
                            sukarela_earns_shu=False, default_account_id=None, actor=treasurer)
    now = today()
    categories = ["santri"] * 6 + ["ustadz", "ustadz", "karyawan", "pengurus", "alumni", "masyarakat"]
    for i, category in enumerate(categories):
        joined = now - timedelta(days=30 * (3 + i % 6) + i)
        name = member_user.name if i == 0 and member_user is not None else fake.name()
        member = members.register_member(coop, members.MemberData(
            name=name, category=category, join_date=joined, gender=fake.random_element(["L", "P"]),
            phone=fake.numerify("08##########"), address=fake.address().replace("\n", ", ")), actor=treasurer)
        savings.deposit(coop, member, "pokok", day=joined, actor=treasurer)
        paid = max(1, (now.year - joined.year) * 12 + now.month - joined.month - i % 3)
        savings.deposit(coop, member, "wajib", amount=Decimal(DEMO_RATES[category] * paid), day=now, actor=treasurer)
        if i % 2 == 0:
            savings.deposit(coop, member, "sukarela", amount=Decimal(25_000 * (1 + i)), day=joined + timedelta(days=7), actor=treasurer)
        if i == 0 and member_user is not None:
            member.user_id = member_user.id
            db.session.commit()
