"""Demo certifications: the Thới Lai fields that the labelled rice comes from hold VietGAP
(and TL-01 an OCOP 4-star rating), TL-03 is certified organic and has a GlobalGAP
certificate that lapsed in 2024; in Đồ Sơn, DS-01 holds VietGAP, and DS-02 let its
VietGAP run out in 2025 and is certified organic since. So the dashboard's VietGAP and
organic shares are not zero in either province, the label pages of the Cần Thơ rice list
certificates, and expired ones are on record too. Added through the same validation and
service as the field page's form (each one logged); a certificate already on its field
is not added again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from registry.accounts.models import Organisation
from registry.db import Db
from registry.trace import service
from registry.trace.models import Certification
from registry.trace.schemas import CertificationIn

SOUTH = "Trung tâm Chứng nhận Nông sản Miền Nam"
HAI_PHONG = "Trung tâm Chứng nhận Chất lượng Nông sản Hải Phòng"
ORGANIC = "Trung tâm Chứng nhận Hữu cơ Việt Nam"
CERTIFICATES: dict[tuple[str, str], tuple[dict[str, Any], ...]] = {
    ("HTX-THOILAI", "TL-01"): (
        {
            "scheme": "vietgap",
            "number": "VietGAP-TT-21-03-92-0047",
            "issuer": SOUTH,
            "valid_from": "2025-03-10",
            "valid_until": "2028-03-09",
        },
        {
            "scheme": "ocop",
            "number": "OCOP-CT-2024-0152",
            "issuer": "UBND thành phố Cần Thơ",
            "valid_from": "2024-10-15",
            "valid_until": "2027-10-14",
            "ocop_stars": 4,
        },
    ),
    ("HTX-THOILAI", "TL-02"): (
        {
            "scheme": "vietgap",
            "number": "VietGAP-TT-21-03-92-0048",
            "issuer": SOUTH,
            "valid_from": "2025-03-10",
            "valid_until": "2028-03-09",
        },
    ),
    ("HTX-THOILAI", "TL-03"): (
        {
            "scheme": "organic",
            "number": "HC-11041-92-0031",
            "issuer": ORGANIC,
            "valid_from": "2025-11-20",
            "valid_until": "2027-11-19",
        },
        {
            "scheme": "globalgap",
            "number": "GGN 4063061845021",
            "issuer": "Công ty Chứng nhận Quốc tế Sao Việt",
            "valid_from": "2023-04-01",
            "valid_until": "2024-03-31",
        },
    ),
    ("HTX-DOSON", "DS-01"): (
        {
            "scheme": "vietgap",
            "number": "VietGAP-TT-19-07-31-0112",
            "issuer": HAI_PHONG,
            "valid_from": "2024-08-01",
            "valid_until": "2027-07-31",
        },
    ),
    ("HTX-DOSON", "DS-02"): (
        {
            "scheme": "organic",
            "number": "HC-11041-31-0007",
            "issuer": ORGANIC,
            "valid_from": "2025-12-15",
            "valid_until": "2027-12-14",
        },
        {
            "scheme": "vietgap",
            "number": "VietGAP-TT-19-07-31-0098",
            "issuer": HAI_PHONG,
            "valid_from": "2022-10-01",
            "valid_until": "2025-09-30",
        },
    ),
}


def load_certificates(session: Db) -> int:
    """Add the certificates that are not on their fields yet; returns how many."""
    created = 0
    for (org_code, field_code), certificates in CERTIFICATES.items():
        org = session.scalar(select(Organisation).where(Organisation.code == org_code))
        assert org is not None, "load the demo accounts first"
        field = service.field_by_code(session, org.id, field_code)
        held = set(
            session.scalars(select(Certification.number).where(Certification.field_id == field.id))
        )
        for values in certificates:
            if values["number"] not in held:
                service.add_certification(session, org, field_code, CertificationIn().load(values))
                created += 1
    return created
