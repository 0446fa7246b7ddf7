"""Prices per kg the authority sets for products, for the economic allocation of a step's
emissions between its co-products (registry/trace/steps.py, docs/coproducts.md).

Only the authority sets them; each price is a new row and a `product.price` log entry, the
newest row of a product being the one in force. A step is allocated by economic value only
when every one of its outputs has a price; otherwise by mass."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from registry import crops
from registry.accounts.models import Organisation, OrgKind
from registry.db import Db
from registry.errors import DomainError, Forbidden
from registry.ledger import service as ledger
from registry.trace.models import ProductPrice

MAX_VND_PER_KG = 100_000_000  # 100 million đồng a kg: above any farm product


class PriceRefused(DomainError):
    title = _l("This price is refused.")


def in_force(session: Db, products: Iterable[str]) -> dict[str, int]:
    """The price in force (VND per kg) of each of `products` that has one."""
    wanted = list(set(products))
    newest = (
        select(func.max(ProductPrice.id))
        .where(ProductPrice.product.in_(wanted))
        .group_by(ProductPrice.product)
    )
    rows = session.execute(
        select(ProductPrice.product, ProductPrice.vnd_per_kg).where(ProductPrice.id.in_(newest))
    )
    return {product: price for product, price in rows}


def current(session: Db) -> dict[str, ProductPrice]:
    """Every product's price in force, as rows (who set it, when, its log entry)."""
    newest = select(func.max(ProductPrice.id)).group_by(ProductPrice.product)
    rows = session.scalars(select(ProductPrice).where(ProductPrice.id.in_(newest)))
    return {row.product: row for row in rows}


def set_price(session: Db, org: Organisation, product: str, vnd_per_kg: int) -> ProductPrice:
    """The authority sets a product's price per kg (in whole đồng); the caller commits."""
    if org.kind is not OrgKind.AUTHORITY:
        raise Forbidden(_l("Only the authority sets prices."))
    code = crops.product(product).code  # UnknownProduct: 422 on `product`
    if not 0 <= vnd_per_kg <= MAX_VND_PER_KG:
        raise PriceRefused(
            errors={"vnd_per_kg": [_l("Give a price from 0 to 100,000,000 đồng a kg.")]}
        )
    row = ProductPrice(product=code, vnd_per_kg=vnd_per_kg, set_by_id=org.id, log_index=-1)
    session.add(row)
    session.flush()
    row.log_index = ledger.append(
        session,
        "product.price",
        org.code,
        code,
        {"product": code, "crop": crops.product(code).crop, "vnd_per_kg": vnd_per_kg},
    )
    return row
