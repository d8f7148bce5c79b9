"""The demo cooperative: realistic Indonesian names (Faker id_ID, fixed seed), one user per role,
savings settings and a dozen members with their savings (the demo member login is the first), and
a shop with products in stock. Its books start a year ago with an opening balance (cash and bank
against the reserve and a grant), so the purchases are paid from money the cooperative has: no cash
account ever ends a day below zero (RULES-2 §8.1; `koppontren check` proves it).

Idempotent: a second run finds what the first created and changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from faker import Faker

from koppontren.auth import services as auth
from koppontren.auth.models import Role
from koppontren.clock import today
from koppontren.ledger import chart, opening
from koppontren.ledger.posting import LineSpec
from koppontren.members import services as members
from koppontren.operations import unit_of_work
from koppontren.savings import services as savings
from koppontren.shop import services as shop
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
    with unit_of_work():
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
                books_start=_demo_books_start(),
            )
        logins = []
        for role, login in ROLE_LOGINS:
            name = fake.name()
            user = auth.get_user_by_login(login)
            if user is None:
                user = auth.create_user(login, name, DEMO_PASSWORD)
            if role not in auth.roles_of(user, coop):
                auth.grant_role(coop, user, role)
            logins.append((role.value, user.login, user.name))
        operator = auth.get_user_by_login(OPERATOR_LOGIN)
        if operator is None:
            operator = auth.create_user(OPERATOR_LOGIN, fake.name(), DEMO_PASSWORD, is_operator=True)
        logins.append(("operator", operator.login, operator.name))
    treasurer = auth.get_user_by_login("demo.bendahara")
    if opening.existing_opening(coop) is None and created:
        _demo_opening(coop, treasurer)
    if not members.search(coop, per_page=1)[1]:
        _demo_members(coop, fake, treasurer, auth.get_user_by_login("demo.anggota"))
    if not shop.search_products(coop, limit=1, active_only=False):
        _demo_shop(coop, treasurer)
    return coop, logins, created


def _demo_books_start() -> date:
    """The first day of the month a year ago: the members below joined within the last nine months."""
    now = today()
    return date(now.year - 1, now.month, 1)


#: The opening balance (Rp): what the cooperative held when it moved its books here.
DEMO_OPENING = (("cash", 5_000_000), ("bank", 15_000_000))
DEMO_OPENING_EQUITY = (("reserve", 12_000_000), ("grant", 8_000_000))


def _demo_opening(coop: Cooperative, treasurer) -> None:
    lines = [LineSpec(chart.account_for(coop, role), debit=Decimal(amount)) for role, amount in DEMO_OPENING]
    lines += [LineSpec(chart.account_for(coop, role), credit=Decimal(amount)) for role, amount in DEMO_OPENING_EQUITY]
    opening.post_opening(coop, opening.OpeningPlan(lines=lines), entry_date=coop.books_start, actor=treasurer)


#: (sku, barcode, name, unit, business unit, price, member price, unit cost, quantity bought)
DEMO_PRODUCTS = [
    ("BRS-5", "8991002100011", "Beras Premium 5 kg", "karung", "toko", 75_000, 72_000, 62_000, 20),
    ("MGR-1", "8991002100028", "Minyak Goreng 1 L", "botol", "toko", 19_000, 18_000, 15_500, 40),
    ("GLA-1", "8991002100035", "Gula Pasir 1 kg", "kg", "toko", 17_500, 17_000, 14_000, 30),
    ("SBN-M", "8991002100042", "Sabun Mandi", "pcs", "toko", 4_000, None, 2_800, 60),
    ("BKU-38", "8991002100059", "Buku Tulis 38 lembar", "pcs", "toko", 5_000, 4_500, 3_200, 100),
    ("KTB-SF", "8991002100066", "Kitab Safinatun Najah", "pcs", "toko", 15_000, 13_000, 10_000, 25),
    ("KOPI-PP", "8991002100073", "Kopi Bubuk Pesantren 250 g", "bungkus", "produk", 30_000, 27_000, 18_000, 30),
    ("MDU-PP", "8991002100080", "Madu Hutan Pesantren 500 g", "botol", "produk", 85_000, 80_000, 60_000, 12),
]


def _demo_shop(coop: Cooperative, treasurer) -> None:
    """A supplier, the shop's and the pesantren's products bought in, and credit limits — so the POS
    has something to sell."""
    supplier = shop.create_party(coop, kind="supplier", code="SUP-01", name="CV Berkah Grosir", actor=treasurer)
    items = []
    for sku, barcode, name, unit, business_unit, price, member_price, cost, qty in DEMO_PRODUCTS:
        product = shop.create_product(coop, shop.ProductData(
            sku=sku, barcode=barcode, name=name, unit=unit, business_unit=business_unit, price=Decimal(price),
            member_price=Decimal(member_price) if member_price else None), actor=treasurer)
        items.append(shop.PurchaseItem(product.id, qty, Decimal(cost)))
    shop.record_purchase(coop, party_id=supplier.id, items=items, day=today() - timedelta(days=7), invoice="INV-DEMO-01", actor=treasurer)
    for category, limit in (("santri", 200_000), ("ustadz", 1_000_000), ("karyawan", 750_000)):
        shop.set_credit_limit(coop, category, Decimal(limit))


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
            with unit_of_work():
                member.user_id = member_user.id
