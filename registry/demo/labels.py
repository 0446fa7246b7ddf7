"""Demo labels: the authority puts criteria version 1 in force (10 % below 2020, two
years); the retailer asks for labels on the Cần Thơ packaged rice: one with 100 unit
labels of 5 kg bags, issued, and one issued and then revoked for a data error; the mill
labels its milled rice, which has no GTIN (the short `/l/` form). So the public page and
the checkers have valid labels of both URL forms and a revoked one to show."""

from __future__ import annotations

from sqlalchemy import select

from registry.accounts.models import Organisation
from registry.db import Db
from registry.labels import criteria, issuance, status
from registry.labels.models import Criteria, Label, LabelStatus
from registry.labels.offline import origin_of
from registry.trace.models import Batch, Product
from registry.trace.service import today_in_vietnam

AUTHORITY, RETAILER, MILL = "HP-CCTT", "RET-XANH", "MILL-CODO"
UNITS, UNIT_KG = 100, 5.0


def load_labels(session: Db, issuer: issuance.Issuer) -> int:
    if session.scalar(select(Criteria.id)) is not None:
        return 0
    authority, retailer = _org(session, AUTHORITY), _org(session, RETAILER)
    criteria.set_criteria(session, authority, {"min_reduction_pct": 10.0, "validity_days": 730})
    packed = session.scalar(
        select(Batch).where(
            Batch.product == Product.PACKAGED_RICE, Batch.organisation_id == retailer.id
        )
    )
    assert packed is not None, "load the demo batches first"
    today = today_in_vietnam()
    bags = issuance.request_label(session, retailer, packed.id, UNITS, UNIT_KG)
    issuance.issue(session, authority, bags.id, issuer, today)
    wrong = issuance.request_label(session, retailer, packed.id)
    revoked = issuance.issue(session, authority, wrong.id, issuer, today)
    status.change(
        session,
        authority,
        revoked.serial,
        LabelStatus.REVOKED,
        "data_error",
        "Nhãn in nhầm số liệu, đã thay bằng nhãn mới.",
    )
    mill = _org(session, MILL)
    rice = session.scalar(
        select(Batch).where(Batch.product == Product.MILLED_RICE, Batch.organisation_id == mill.id)
    )
    assert rice is not None, "load the demo batches first"
    plain = issuance.request_label(session, mill, rice.id)
    issuance.issue(session, authority, plain.id, issuer, today)
    return 4 + UNITS


def issued_for(session: Db) -> str | None:
    """The origin the demo labels name (scheme://host:port), None before they are issued."""
    url = session.scalar(select(Label.url).order_by(Label.id).limit(1))
    return None if url is None else origin_of(url)


def _org(session: Db, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    assert org is not None, "load the demo accounts first"
    return org
