"""Deterministic seed data: the media library and data imports in several stages.

Runs after every other seeder and draws ids only then, so the objects seeded
before keep their ids. It has its own ``random.Random`` and Faker instance
(from the seed), and sets every time itself, counted back from ``ANCHOR``.
Product images are files whose URL is the product's image, so those files are
in use. No import is seeded ``completed``: that would add orders to the sales.
Nothing here emits webhook events.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta

from faker import Faker

from preo_nb.sandbox.commerce.models import Edition
from preo_nb.sandbox.commerce.rules_editions import slugify
from preo_nb.sandbox.core.clock import ANCHOR
from preo_nb.sandbox.files import jobs as import_jobs
from preo_nb.sandbox.files import rules_imports as import_rules
from preo_nb.sandbox.files.models import DataImport, Store, StoredFile
from preo_nb.sandbox.files.rules_files import add_file


def add_files(store: Store, seed: int) -> None:
    """Add a logo per organization, a banner per edition and an image per product."""
    rng = random.Random(f"files-{seed}")
    for org in store.data.organizations.values():
        logo = add_file(store, org.id, f"{slugify(org.name)}-logo.png", 24_310, ["logo", "brand"])
        _dated(rng, logo, ANCHOR - timedelta(days=700), alt=f"{org.name} logo", owner=org.name)
    for edition in store.data.editions.values():
        owner = store.data.organizations[edition.organization_id].name
        banner = add_file(store, edition.organization_id, f"{edition.slug}-banner.jpg", 412_870, ["event", "banner"])
        _dated(rng, banner, edition.created, alt=f"Crowd at {edition.slug}", owner=owner)
        banner.caption = f"The main stage at {store.data.events[edition.event_id or ''].name}"
    for product in store.data.products.values():
        edition = store.data.editions[product.edition_id]
        name = f"{edition.slug}-{slugify(product.name)}.jpg"
        image = add_file(
            store,
            edition.organization_id,
            name,
            rng.randrange(40_000, 180_000),
            ["product", product.type],
            url=product.image or "",
        )
        _dated(rng, image, edition.created + timedelta(days=14), alt=product.name, owner=None)


def _dated(rng: random.Random, record: StoredFile, after: datetime, *, alt: str, owner: str | None) -> None:
    """Date a seeded file up to 60 days after ``after``, describe it and credit its owner."""
    record.created_at = after + timedelta(seconds=rng.randrange(86_400 * 60))
    record.updated_at = record.created_at + timedelta(seconds=rng.randrange(86_400 * 30))
    record.image_alt_text = alt
    record.copyright = f"© {owner}" if owner else None


def add_imports(store: Store, seed: int) -> None:
    """Add imports waiting for a column mapping, a product mapping, failed, cancelled, uploaded."""
    rng, fake = random.Random(f"imports-{seed}"), Faker("da_DK")
    fake.seed_instance(seed)
    current, jazz = _edition(store, 1, 2), _edition(store, 2, 1)
    presale = _add(store, rng, current, "Partner presale", "billetlugen-presale.csv", 9, _presale(rng, fake))
    import_jobs.read_file(store, presale, announce=False)
    crew = _add(store, rng, current, "Crew tickets", "crew-tickets.csv", 6, _crew(rng, fake))
    import_jobs.read_file(store, crew, announce=False)
    crew.orders, _errors = import_rules.parse_rows(crew)
    import_rules.map_products(store, crew)
    crew.stage = "needs_product_mapping"
    sponsors = _add(store, rng, current, "Sponsor guest list", "sponsors.xls", 4, b"\xd0\xcf\x11\xe0 legacy")
    import_jobs.read_file(store, sponsors, announce=False)
    box_office = _add(store, rng, jazz, "Box office sales", "box-office.csv", 3, _presale(rng, fake))
    import_jobs.read_file(store, box_office, announce=False)
    box_office.stage = "cancelled"
    _add(store, rng, jazz, "Season pass holders", "season-pass.csv", 1, _crew(rng, fake))
    for job in (presale, crew, sponsors, box_office):
        job.modified = job.created + timedelta(minutes=rng.randrange(5, 90))


def _edition(store: Store, org: int, n: int) -> Edition:
    org_id = store.org_id(org)
    return [e for e in store.data.editions.values() if e.organization_id == org_id][n - 1]


def _add(
    store: Store, rng: random.Random, edition: Edition, name: str, file_name: str, days: int, content: bytes
) -> DataImport:
    job = import_jobs.new_import(
        store, edition.id, name=name, service="file", stage="uploaded", data_file_name=file_name, content=content
    )
    job.created = job.modified = ANCHOR - timedelta(days=days, seconds=rng.randrange(86_400))
    return job


def _csv(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def _presale(rng: random.Random, fake: Faker) -> bytes:
    """A partner's export: its own headers, some auto-mapped, one unknown product code."""
    header = ["Order ID", "Customer Email", "Full name", "Phone", "Product code", "Qty", "Unit price"]
    codes = (("Day ticket", "89.00"), ("Weekend pass", "229.00"), ("BL-CAMPING", "45.00"))
    rows = []
    for number in range(1, 13):
        name, email, phone = fake.name(), fake.email(), f"{rng.randrange(20_000_000, 99_999_999)}"
        for code, price in rng.sample(codes, rng.choice((1, 1, 2))):
            rows.append([f"BL-{70_000 + number}", email, name, phone, code, str(rng.choice((1, 1, 2, 4))), price])
    return _csv(header, rows)


def _crew(rng: random.Random, fake: Faker) -> bytes:
    """A crew list with the contract's own column names, semicolon separated."""
    header = ["order_id", "customer_email", "customer_first_name", "customer_last_name", "product_code", "quantity"]
    rows = []
    for number in range(1, 9):
        first, last = fake.first_name(), fake.last_name()
        email = f"{first}.{last}@crew.example.com".lower().replace(" ", "")
        rows.append([f"CREW-{number:03d}", email, first, last, "Weekend pass", "1"])
        if rng.random() < 0.5:
            rows.append([f"CREW-{number:03d}", email, first, last, "CREW-MEAL", str(rng.randrange(1, 4))])
    return _csv(header, rows, delimiter=";")
