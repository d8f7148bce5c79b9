"""``koppontren generate``: realistic cooperatives for benchmarks, demos and load tests (issue 10).

Each cooperative gets a treasurer, an admin and a cashier; members with Indonesian names (Faker
``id_ID``) who join over the years and pay simpanan pokok once, wajib every month (the bulk wajib
collection) and now and then sukarela in or out; a shop with the pesantren's products and a
minimarket's, bought in weekly from suppliers; daily counter sales to members (member prices, their
participation for SHU) and to non-members; monthly expenses and the till handed in to the main
cash box; every fiscal year closed in January and its SHU computed (treasurer), approved at the RAT
(admin) and paid in March.

Everything goes through the domain services a treasurer's clicks would call, except the counter
sales, which are many: they go through ``shop.bulk.BulkSales`` and ``ledger.bulk.BulkPoster`` —
the same prices, costs and accounts as ``record_sale`` and the same posting rules, voucher numbers
and hash chain as ``post_entry``, written in batches. So ``koppontren check`` holds afterwards.

Deterministic: the same options on an empty database give the same ledger (the same hash-chain
heads), because every choice comes from one ``random.Random(seed)`` per cooperative and Faker seeded
from it; wall-clock times (``created_at``) are not part of an entry's hash.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from faker import Faker
from sqlalchemy import text

from koppontren.auth import services as auth
from koppontren.auth.models import Role
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.ledger import chart, opening, periods, queries
from koppontren.ledger.bulk import BulkPoster
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.members import services as members
from koppontren.operations import unit_of_work
from koppontren.savings import services as savings
from koppontren.shop import services as shop
from koppontren.shop.bulk import BulkSales, Buyer
from koppontren.shu import services as shu
from koppontren.tenancy import services as tenancy

MAX_COOPS = 2000
MAX_MEMBERS = 20_000
MAX_YEARS = 10
MAX_LINES_TARGET = 20_000_000

WAJIB_RATES = {"santri": 10_000, "ustadz": 25_000, "karyawan": 20_000, "pengurus": 25_000, "alumni": 10_000, "masyarakat": 15_000}
CATEGORY_WEIGHTS = [("santri", 80), ("ustadz", 8), ("karyawan", 5), ("pengurus", 2), ("alumni", 3), ("masyarakat", 2)]
POKOK = 100_000
PESANTREN = ["Al-Hikmah", "Darul Ulum", "Nurul Huda", "Miftahul Jannah", "Al-Falah", "Darussalam", "Al-Amin", "Raudlatul Ulum",
             "Bahrul Ulum", "Al-Ikhlas", "Mambaul Ulum", "Nurul Jadid"]

#: (sku, name, unit, business unit, price, member price, unit cost) — rupiah
CATALOGUE = [
    ("BRS-5", "Beras Premium 5 kg", "karung", "toko", 75_000, 72_000, 62_000),
    ("MGR-1", "Minyak Goreng 1 L", "botol", "toko", 19_000, 18_000, 15_500),
    ("GLA-1", "Gula Pasir 1 kg", "kg", "toko", 17_500, 17_000, 14_000),
    ("SBN-M", "Sabun Mandi", "pcs", "toko", 4_000, None, 2_800),
    ("SMP-S", "Sampo Sachet", "pcs", "toko", 1_000, None, 700),
    ("PGG-1", "Pasta Gigi 75 g", "pcs", "toko", 9_000, 8_500, 6_800),
    ("DTR-1", "Deterjen 800 g", "bungkus", "toko", 22_000, 21_000, 17_500),
    ("BKU-38", "Buku Tulis 38 lembar", "pcs", "toko", 5_000, 4_500, 3_200),
    ("PLP-1", "Pulpen Hitam", "pcs", "toko", 3_000, 2_500, 1_800),
    ("KTB-SF", "Kitab Safinatun Najah", "pcs", "toko", 15_000, 13_000, 10_000),
    ("KTB-JR", "Kitab Jurumiyah", "pcs", "toko", 12_000, 11_000, 8_000),
    ("SRG-H", "Sarung Santri", "pcs", "toko", 85_000, 80_000, 65_000),
    ("PCI-H", "Peci Hitam", "pcs", "toko", 35_000, 32_000, 25_000),
    ("AQM-6", "Air Mineral 600 ml", "botol", "toko", 4_000, 3_500, 2_500),
    ("MIE-G", "Mi Instan Goreng", "bungkus", "toko", 3_500, 3_200, 2_700),
    ("ROT-1", "Roti Manis", "pcs", "toko", 5_000, 4_500, 3_500),
    ("TEH-K", "Teh Kotak", "pcs", "toko", 4_500, 4_000, 3_300),
    ("SNK-1", "Keripik Singkong", "bungkus", "toko", 6_000, 5_500, 4_000),
    ("KOPI-PP", "Kopi Bubuk Pesantren 250 g", "bungkus", "produk", 30_000, 27_000, 18_000),
    ("MDU-PP", "Madu Hutan Pesantren 500 g", "botol", "produk", 85_000, 80_000, 60_000),
    ("ROT-PP", "Roti Bakery Pesantren", "pcs", "produk", 6_000, 5_000, 3_500),
    ("AIR-PP", "Air Isi Ulang Pesantren 19 L", "galon", "produk", 7_000, 6_000, 3_000),
    ("BTK-PP", "Kain Batik Santri", "lembar", "produk", 120_000, 110_000, 80_000),
    ("JMU-PP", "Jamu Herbal Pesantren", "botol", "produk", 15_000, 13_500, 9_000),
]
EXPENSES = [("6101", "Gaji & honor pengelola", 40), ("6102", "Listrik, air & telepon", 15), ("6103", "ATK & perlengkapan", 8),
            ("6106", "Pemeliharaan toko", 7), ("6107", "Transportasi belanja", 5), ("7104", "Honor pengurus & pengawas", 10)]
#: share of the month's gross margin spent on the expenses above (the rest is the SHU)
EXPENSE_SHARE = Decimal("0.55")
LINES_PER_SALE_GUESS = Decimal("4.4")
#: lines kept before the bulk path writes and commits (bounds a commit's work and memory)
BATCH_LINES = 20_000


class GenerateError(DomainError):
    """Bad options or a target that already exists: nothing was written."""


@dataclass(frozen=True)
class Options:
    """What to generate. ``lines_target``: journal lines per cooperative to reach (the daily sales are
    sized for it); without it a cooperative sells ``members // 10`` (at least 5) times a day."""

    coops: int
    members: int
    years: int
    seed: int
    lines_target: int | None = None
    slug_prefix: str = "gen"

    def validate(self) -> None:
        problems = {}
        if not 1 <= self.coops <= MAX_COOPS:
            problems["coops"] = f"--coops must be between 1 and {MAX_COOPS}"
        if not 1 <= self.members <= MAX_MEMBERS:
            problems["members"] = f"--members must be between 1 and {MAX_MEMBERS:,}"
        if not 1 <= self.years <= MAX_YEARS:
            problems["years"] = f"--years must be between 1 and {MAX_YEARS}"
        if self.seed < 0:
            problems["seed"] = "--seed must be 0 or more"
        if self.lines_target is not None and not 1_000 <= self.lines_target <= MAX_LINES_TARGET:
            problems["lines_target"] = f"--lines-target must be between 1,000 and {MAX_LINES_TARGET:,}"
        if not tenancy.SLUG_RE.match(f"{self.slug_prefix}-{self.coops}") or self.slug_prefix != self.slug_prefix.lower():
            problems["slug_prefix"] = "--slug-prefix must be lower-case letters, digits and hyphens"
        if problems:
            raise GenerateError("invalid_options", "; ".join(problems.values()), problems)

    def slug(self, n: int) -> str:
        return f"{self.slug_prefix}-{n}"


@dataclass
class Summary:
    """What one cooperative got."""

    slug: str
    members: int = 0
    sales: int = 0
    member_sales: int = 0
    purchases: int = 0
    years_closed: list[int] = field(default_factory=list)
    shu_runs: list[int] = field(default_factory=list)
    entries: int = 0
    lines: int = 0
    last_hash: str = ""


def plan_days(options: Options, now: date | None = None) -> tuple[date, date]:
    """The simulated span: ``years`` whole fiscal (calendar) years ending last December."""
    last_year = (now or today()).year - 1
    return date(last_year - options.years + 1, 1, 1), date(last_year, 12, 31)


def total_steps(options: Options) -> int:
    """Progress-bar length: one step per simulated day per cooperative."""
    first, last = plan_days(options)
    return options.coops * ((last - first).days + 1)


def generate(options: Options, *, step: Callable[[int], None] = lambda n: None) -> list[Summary]:
    """Build ``options.coops`` cooperatives; ``step(n)`` is called as days are done (a progress bar).

    Raises GenerateError (bad options, a slug already taken) before writing anything.
    """
    options.validate()
    taken = [options.slug(n) for n in range(1, options.coops + 1) if tenancy.get_by_slug(options.slug(n)) is not None]
    db.session.rollback()
    if taken:
        raise GenerateError("slug_taken", f"cooperative {taken[0]} already exists; use another --slug-prefix or an empty database",
                            {"slug_prefix": "taken"})
    if db.engine.dialect.name == "postgresql":
        # A bulk load's durability trade-off, for this connection only: a crash may lose the last
        # commits (never corrupt or half-write one); every check and constraint still runs.
        with unit_of_work():
            db.session.execute(text("SET synchronous_commit TO off"))
    return [_Cooperative(options, n, step).run() for n in range(1, options.coops + 1)]


class _Cooperative:
    """The simulation of one cooperative, day by day."""

    def __init__(self, options: Options, n: int, step: Callable[[int], None]) -> None:
        self.options = options
        self.n = n
        self.step = step
        self.rng = random.Random(f"{options.seed}/{n}")  # noqa: S311 - simulated data, not secrets
        self.fake = Faker("id_ID")
        self.fake.seed_instance(self.rng.randrange(2**32))
        self.first, self.last = plan_days(options)
        self.summary = Summary(options.slug(n))
        self.poster: BulkPoster | None = None
        self.sales: BulkSales | None = None
        self.sukarela: dict[int, int] = {}  # member id -> balance in rupiah
        self.sold: dict[int, int] = {}  # product id -> units sold since the last purchase
        self.margin = 0  # sen of gross margin this month
        self.pending_rat: int | None = None  # a year whose SHU waits for the RAT
        self.lines = 0
        self.lines_written = 0  # by the bulk path
        self.analyzed_at = 0

    # --- set-up ----------------------------------------------------------------------------------

    def run(self) -> Summary:
        self._setup()
        day = self.first
        while day <= self.last:
            self._day(day)
            self.step(1)
            day += timedelta(days=1)
        self._flush()
        self._year_end(self.last.year, final=True)
        self._flush()
        self.summary.lines = queries.line_count(self.coop)
        self.summary.entries, self.summary.last_hash = queries.chain_head(self.coop)
        db.session.commit()
        return self.summary

    def _setup(self) -> None:
        fake, rng = self.fake, self.rng
        pesantren = f"Pondok Pesantren {rng.choice(PESANTREN)}"
        city = fake.city()
        self.coop = tenancy.create_cooperative(
            self.summary.slug, f"Koperasi {pesantren} {city}", pesantren_name=pesantren,
            legal_number=f"AHU-{rng.randrange(10**6, 10**7)}.AH.01.26.TAHUN {self.first.year - 1}",
            address=fake.address().replace("\n", ", ")[:200], books_start=self.first)
        self.users = {}
        with unit_of_work():
            for role, suffix in ((Role.ADMIN, "admin"), (Role.TREASURER, "bendahara"), (Role.CASHIER, "kasir")):
                user = auth.create_user(f"{self.summary.slug}.{suffix}", fake.name(), secrets.token_urlsafe(16))
                auth.grant_role(self.coop, user, role)
                self.users[suffix] = user
        self.treasurer = self.users["bendahara"]
        savings.update_settings(self.coop, pokok_amount=Decimal(POKOK), wajib_rates={c: Decimal(v) for c, v in WAJIB_RATES.items()},
                                sukarela_earns_shu=False, default_account_id=None, actor=self.treasurer)
        self.suppliers = [
            shop.create_party(self.coop, kind="supplier", code=f"SUP-{i:02d}", name=name, actor=self.treasurer).id
            for i, name in enumerate(["CV Berkah Grosir", "UD Sumber Rezeki", "Unit Produksi Pesantren"], start=1)
        ]
        self.products = {}
        for sku, name, unit, business_unit, price, member_price, cost in CATALOGUE:
            product = shop.create_product(self.coop, shop.ProductData(
                sku=sku, name=name, unit=unit, business_unit=business_unit, price=Decimal(price),
                member_price=Decimal(member_price) if member_price else None), actor=self.treasurer)
            self.products[product.id] = (business_unit, cost, price)
        self.product_ids = sorted(self.products)
        self.weights = [self.rng.randint(1, 10) for _ in self.product_ids]
        self._register_members()

    def _register_members(self) -> None:
        """All members registered up front with their join dates: 70 % at the start, the others over
        the years (none in the last two months)."""
        span = max(1, (self.last - self.first).days - 60)
        categories = [c for c, _ in CATEGORY_WEIGHTS]
        weights = [w for _, w in CATEGORY_WEIGHTS]
        self.joining: dict[date, list[int]] = {}
        self.buyers: list[Buyer] = []  # members who have joined, in join order
        plan = []
        for i in range(self.options.members):
            joined = self.first if i < self.options.members * 7 // 10 else self.first + timedelta(days=self.rng.randrange(span))
            plan.append((joined, self.rng.choices(categories, weights)[0], self.rng.choice("LP")))
        plan.sort(key=lambda p: p[0])
        for i, (joined, category, gender) in enumerate(plan):
            name = self.fake.name_male() if gender == "L" else self.fake.name_female()
            member = members.register_member(self.coop, members.MemberData(
                name=name, category=category, join_date=joined, gender=gender, phone=self.fake.numerify("08##########")),
                actor=self.treasurer, commit=False)
            if i % 500 == 499:
                db.session.commit()
            self.joining.setdefault(joined, []).append(member.id)
        db.session.commit()
        self.member_info = {m.id: (m.number, m.name) for m in members.active_members(self.coop)}
        self.summary.members = len(self.member_info)

    # --- one day ---------------------------------------------------------------------------------

    def _day(self, day: date) -> None:
        rng = self.rng
        if day.month == 1 and day.day == 10 and day.year > self.first.year:
            self._year_end(day.year - 1)
        if day.month == 3 and day.day == 15 and self.pending_rat is not None:
            self._rat(self.pending_rat, day)
        for mid in self.joining.get(day, []):
            self._service(savings.deposit, self.coop, mid, "pokok", day=day, actor=self.treasurer)
            number, name = self.member_info[mid]
            self.buyers.append(Buyer(mid, number, name))
        if self.buyers and rng.random() < 0.25:  # a few sukarela movements on one day in four
            for _ in range(rng.randint(1, max(1, len(self.buyers) // 200))):
                self._sukarela(day, rng.choice(self.buyers).id)
        if day.weekday() == 0 or day == self.first:
            self._restock(day)
        self._sell(day)
        if (day + timedelta(days=1)).month != day.month:
            self._month_end(day)

    def _service(self, fn, *args, **kw):
        self._flush()
        return fn(*args, **kw)

    def _sukarela(self, day: date, mid: int) -> None:
        balance = self.sukarela.get(mid, 0)
        if balance >= 20_000 and self.rng.random() < 0.35:
            amount = self.rng.randrange(1, balance // 10_000 + 1) * 10_000
            self._service(savings.withdraw, self.coop, mid, amount=Decimal(amount), day=day, actor=self.treasurer)
            self.sukarela[mid] = balance - amount
        else:
            amount = self.rng.choice([10_000, 20_000, 25_000, 50_000, 100_000])
            self._service(savings.deposit, self.coop, mid, "sukarela", amount=Decimal(amount), day=day, actor=self.treasurer)
            self.sukarela[mid] = balance + amount

    def _sales_today(self, day: date) -> int:
        target = self.options.lines_target
        if target is None:
            return max(5, self.options.members // 10)
        days_left = (self.last - day).days + 1
        if day.day == 1 or not hasattr(self, "_per_day"):
            self._flush()
            done = queries.line_count(self.coop)
            per_sale = Decimal(self.lines) / self.summary.sales if self.summary.sales else LINES_PER_SALE_GUESS
            self._per_day = max(1, math.ceil(Decimal(max(0, target - done)) / days_left / per_sale))
        return self._per_day

    def _sell(self, day: date) -> None:
        count = self._sales_today(day)
        rng = self.rng
        if self.sales is None:
            self._open_batch()
        sales = self.sales
        for _ in range(count):
            buyer = rng.choice(self.buyers) if self.buyers and rng.random() < 0.6 else None
            picks = rng.choices(self.product_ids, self.weights, k=rng.choice((1, 1, 2, 2, 3)))
            items = []
            for pid in dict.fromkeys(picks):
                qty = min(rng.choice((1, 1, 1, 2, 2, 3)), sales.on_hand(pid))
                if qty > 0:
                    items.append(shop.SaleItem(pid, qty))
            if not items:
                continue
            before = self.poster.pending_lines
            total = sales.sell(day, items, member=buyer)
            self.lines += self.poster.pending_lines - before
            self.margin += total - sales.last_cost
            for item in items:
                self.sold[item.product_id] = self.sold.get(item.product_id, 0) + item.qty
            self.summary.sales += 1
            self.summary.member_sales += buyer is not None
            if self.poster.pending_lines >= BATCH_LINES:
                self._flush()
                self._open_batch()
                sales = self.sales

    def _open_batch(self) -> None:
        if not self.analyzed_at:
            self._analyze()  # before the first batch: its commit must not be planned on empty tables
        members.remember_existing(self.coop.id, self.member_info)
        self.poster = BulkPoster(self.coop, source="shop", internal_subledgers=frozenset({"product"}), actor=self.users["kasir"])
        self.sales = BulkSales(self.coop, self.poster, cashier=self.users["kasir"])

    def _flush(self) -> None:
        if self.poster is None:
            return
        try:
            self.lines_written += self.poster.pending_lines
            with unit_of_work():
                self.poster.flush()
                self.sales.flush()
        finally:
            self.poster = self.sales = None
        self._analyze()

    def _analyze(self) -> None:
        """PostgreSQL: refresh the planner's statistics as the tables grow (each time they double),
        as autovacuum would. With the empty-table statistics of a fresh database, the deferred balance
        trigger plans a scan of every line for each line it checks, and commits grow quadratic."""
        if db.engine.dialect.name != "postgresql" or (self.analyzed_at and self.lines_written < 2 * self.analyzed_at):
            return
        with unit_of_work():
            db.session.execute(text("ANALYZE journal_entry, journal_line, sale, sale_line, stock_move"))
        self.analyzed_at = max(self.lines_written, 1_000)

    def _restock(self, day: date) -> None:
        """Weekly: bring every product back to two weeks of its demand (a guess from the planned
        sales on the first day), one purchase per supplier."""
        self._flush()
        per_day = self._sales_today(day) if self.options.lines_target else max(5, self.options.members // 10)
        units_per_day = Decimal(per_day) * Decimal("3.2")  # ~1.9 products × ~1.7 units a sale
        weight_sum = sum(self.weights)
        on_hand = {p.id: p.qty for p in shop.search_products(self.coop, limit=1000, active_only=False)}
        by_supplier: dict[int, list] = {}
        for pid, weight in zip(self.product_ids, self.weights, strict=True):
            target = math.ceil(units_per_day * 14 * weight / weight_sum) + 10
            want = target - on_hand.get(pid, 0)
            if want <= 0:
                continue
            unit, cost, _price = self.products[pid]
            supplier = self.suppliers[2] if unit == "produk" else self.suppliers[pid % 2]
            by_supplier.setdefault(supplier, []).append(shop.PurchaseItem(pid, want, Decimal(cost)))
        if day == self.first:
            self._open_books(day, sum(item.qty * item.unit_cost for items in by_supplier.values() for item in items))
        else:
            self._bank_the_till(day)
        for supplier, items in sorted(by_supplier.items()):
            shop.record_purchase(self.coop, party_id=supplier, items=items, day=day, invoice=f"INV-{day:%Y%m%d}-{supplier}",
                                 actor=self.treasurer)
            self.summary.purchases += 1

    def _open_books(self, day: date, first_purchases: Decimal) -> None:
        """The opening balance on the first day: the participation capital the cooperative started
        with, one and a half times its first stock (whole millions), in Kas Besar — purchases are paid
        from money the cooperative has (no cash account ends a day below zero)."""
        capital = Decimal(math.ceil(first_purchases * 3 / 2 / 1_000_000) * 1_000_000)
        plan = opening.OpeningPlan(lines=[LineSpec(chart.account_for(self.coop, "cash"), debit=capital),
                                          LineSpec(chart.account_for(self.coop, "participation_capital"), credit=capital)])
        opening.post_opening(self.coop, plan, entry_date=day, actor=self.treasurer)

    def _bank_the_till(self, day: date) -> None:
        """Before the weekly purchases: the till's takings go to Kas Besar, which pays the suppliers."""
        till = self._till_balance()
        if till > 0:
            post_entry(self.coop, entry_date=day, description=f"Setoran kas toko ke kas besar {day:%d/%m/%Y}", journal_type="JU",
                       lines=[LineSpec("1101", debit=Decimal(till)), LineSpec("1103", credit=Decimal(till))], actor=self.treasurer)

    def _month_end(self, day: date) -> None:
        self._flush()
        month = (day.year, day.month)
        due = [m.id for m, _rate in savings.bulk_candidates(self.coop, month)]
        if due:
            savings.collect_wajib_bulk(self.coop, month=month, member_ids=due, day=day, actor=self.treasurer)
        self._bank_the_till(day)  # the month's takings are in Kas Besar before its expenses are paid
        budget = Decimal(self.margin) * EXPENSE_SHARE / 100  # rupiah
        weight = sum(w for *_, w in EXPENSES)
        lines, total = [], 0
        for code, _what, share in EXPENSES:
            amount = int(budget * share / weight / 1000) * 1000
            if amount > 0:
                lines.append(LineSpec(code, debit=Decimal(amount)))
                total += amount
        if total:
            post_entry(self.coop, entry_date=day, description=f"Beban operasional bulan {day:%m/%Y}", journal_type="KK",
                       lines=[*lines, LineSpec("1101", credit=Decimal(total))], actor=self.treasurer)
        self.margin = 0

    def _till_balance(self) -> int:
        till = chart.account_for(self.coop, "till")
        debit, credit = queries.account_totals(self.coop).get(till.id, (0, 0))
        return (debit - credit) // 100

    def _year_end(self, year: int, final: bool = False) -> None:
        """Close ``year`` (on 10 January) and compute its SHU (treasurer); the RAT approves and pays
        it on 15 March (:meth:`_rat`) — the last year's RAT is held when the generator ends (15 March,
        or today if that is earlier)."""
        self._flush()
        periods.close_year(self.coop, year, actor=self.treasurer)
        self.summary.years_closed.append(year)
        try:
            shu.compute_run(self.coop, year, actor=self.treasurer)
        except DomainError as err:
            if err.code == "shu_not_positive":  # a loss year: nothing to share
                return
            raise
        self.pending_rat = year
        if final:
            self._rat(year, min(date(year + 1, 3, 15), today()))

    def _rat(self, year: int, day: date) -> None:
        """The RAT approves the year's SHU (admin: not the preparer) and it is paid in cash."""
        self._flush()
        shu.approve_run(self.coop, year, day=day, decision=f"{self.n:03d}/RAT/{year + 1}", actor=self.users["admin"])
        shu.pay(self.coop, year, day=day, method="cash", actor=self.treasurer)
        self.summary.shu_runs.append(year)
        self.pending_rat = None
