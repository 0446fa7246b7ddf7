"""Demo labels: the authority's criteria version 1 was a pilot (10 % below 2020, labels
valid 90 days), under which the mill labelled its milled rice on 13 August 2026: that
label has expired. Version 2 (two years) followed it. The retailer asks for labels on
the Cần Thơ packaged rice: one with 100 unit labels of 5 kg bags, issued; one issued and
then revoked for a data error; one issued and suspended while a customer's complaint is
looked into. The mill's milled rice, which has no GTIN (the short `/l/` form), has a valid
label beside its expired one. So the public page and the checkers have valid labels of
both URL forms and a revoked, a suspended and an expired one to show; `registry demo`
prints each serial with its verdict (`summary`).

Version 3 (issue 20) sets rules per crop, and the retailer's vegetables and longan are
labelled under it: the packed pak choi of Hà Đông with 200 bag labels of 0.5 kg, the packed
longan of Đồ Sơn with 100 box labels of 2 kg. Each part is added when it is missing, so an
older demo database gains them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from registry.accounts.models import Organisation
from registry.db import Db, utcnow
from registry.labels import criteria, issuance, status
from registry.labels.models import Criteria, Label, LabelStatus
from registry.labels.offline import origin_of
from registry.trace.models import Batch
from registry.trace.service import today_in_vietnam

AUTHORITY, RETAILER, MILL = "HP-CCTT", "RET-XANH", "MILL-CODO"
UNITS, UNIT_KG = 100, 5.0
PILOT = {
    "min_reduction_pct": 10.0,
    "validity_days": 90,
    "note": "Thí điểm: nhãn có hiệu lực 90 ngày.",
}
IN_FORCE = {"min_reduction_pct": 10.0, "validity_days": 730, "note": "Nhãn có hiệu lực hai năm."}
# Version 3: a rule per crop. The reductions are those the provincial low-emission plans aim
# at by 2030 and beyond (10 % for rice as the programme's 2035 target, more where a change of
# practice cuts more: compost for fresh manure, LED for incandescent-era lamps); the ceilings
# sit well above what the demo's 2026 seasons emit per kg and below their 2020 figures where
# those were high (rice 1,367 g, pak choi 143 g, longan 241 g per kg in 2020): demo values
# the authority would set after consultation, not published thresholds.
PER_CROP = {
    "min_reduction_pct": 10.0,
    "validity_days": 730,
    "note": "Tiêu chí riêng cho từng loại cây trồng; nhãn có hiệu lực hai năm.",
    "crop_rules": {
        "rice": {"min_reduction_pct": 10.0, "max_g_co2e_per_kg": 1000.0},
        "vegetable": {"min_reduction_pct": 20.0, "max_g_co2e_per_kg": 200.0},
        "flower": {"min_reduction_pct": 20.0, "max_g_co2e_per_kg": 400.0},
        "longan": {"min_reduction_pct": 15.0, "max_g_co2e_per_kg": 300.0},
    },
}
# The retailer's fresh produce labelled under version 3: (maker, lot, unit labels, kg a unit).
PRODUCE = (("HTX-HADONG", "HD26-01", 200, 0.5), ("HTX-DOSON", "DS26-01", 100, 2.0))
PILOT_LABEL_AT = datetime(2026, 8, 13, 2, 30, tzinfo=UTC)  # 09:30 in Vietnam


def load_labels(session: Db, issuer: issuance.Issuer) -> int:
    created = 0
    authority, retailer = _org(session, AUTHORITY), _org(session, RETAILER)
    if session.scalar(select(Criteria.id)) is None:
        created += _rice_labels(session, issuer, authority, retailer)
    if not any(c.crop_rules for c in session.scalars(select(Criteria))):
        criteria.set_criteria(session, authority, PER_CROP)
        created += 1
    today = today_in_vietnam()
    for maker, lot, units, unit_kg in PRODUCE:
        packed = session.scalar(
            select(Batch)
            .join(Organisation, Batch.maker_id == Organisation.id)
            .where(Organisation.code == maker, Batch.lot_code == lot)
        )
        if packed is None or packed.organisation_id != retailer.id:
            continue
        if session.scalar(select(Label.id).where(Label.batch_id == packed.id)) is not None:
            continue
        asked = issuance.request_label(session, retailer, packed.id, units, unit_kg)
        issuance.issue(session, authority, asked.id, issuer, today)
        created += 1 + units
    return created


def _rice_labels(
    session: Db, issuer: issuance.Issuer, authority: Organisation, retailer: Organisation
) -> int:
    mill = _org(session, MILL)
    packed, rice = (
        _batch(session, retailer, "packaged_rice"),
        _batch(session, mill, "milled_rice"),
    )
    criteria.set_criteria(session, authority, PILOT)
    early = issuance.request_label(session, mill, rice.id)
    issuance.issue(session, authority, early.id, issuer, PILOT_LABEL_AT.date(), at=PILOT_LABEL_AT)
    criteria.set_criteria(session, authority, IN_FORCE)
    today = today_in_vietnam()
    bags = issuance.request_label(session, retailer, packed.id, UNITS, UNIT_KG)
    issuance.issue(session, authority, bags.id, issuer, today)
    changed = (
        (LabelStatus.REVOKED, "data_error", "Nhãn in nhầm số liệu, đã thay bằng nhãn mới."),
        (
            LabelStatus.SUSPENDED,
            "under_review",
            "Tạm đình chỉ để kiểm tra phản ánh của khách hàng về khối lượng bao.",
        ),
    )
    for to, code, reason in changed:
        asked = issuance.request_label(session, retailer, packed.id)
        label = issuance.issue(session, authority, asked.id, issuer, today)
        status.change(session, authority, label.serial, to, code, reason)
    plain = issuance.request_label(session, mill, rice.id)
    issuance.issue(session, authority, plain.id, issuer, today)
    return 7 + UNITS


def summary(session: Db) -> list[str]:
    """Each demo batch label with the verdict its page shows, for `registry demo` to print."""
    now = utcnow()
    labels = session.scalars(select(Label).where(Label.parent_id.is_(None)).order_by(Label.id))
    return [f"{status.state(lb, now).status:<9} {lb.serial}  {lb.lot}  {lb.url}" for lb in labels]


def issued_for(session: Db) -> str | None:
    """The origin the demo labels name (scheme://host:port), None before they are issued."""
    url = session.scalar(select(Label.url).order_by(Label.id).limit(1))
    return None if url is None else origin_of(url)


def _org(session: Db, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    assert org is not None, "load the demo accounts first"
    return org


def _batch(session: Db, holder: Organisation, product: str) -> Batch:
    found = session.scalar(
        select(Batch).where(Batch.product == product, Batch.organisation_id == holder.id)
    )
    assert found is not None, "load the demo batches first"
    return found
