"""Demo organisations and logins: Hải Phòng's authority, an HTX in Đồ Sơn ward, one in a
Cần Thơ commune and a vegetable HTX in Hà Đông ward (Hà Nội), a verifier, a mill, a
retailer and a commune office. Every demo login shares DEMO_PASSWORD (README lists them)."""

from __future__ import annotations

from sqlalchemy import select

from registry.accounts import service
from registry.accounts.models import Organisation, OrgKind, Role, User
from registry.db import Db

DEMO_PASSWORD = "phatthaithap2026"

ORGANISATIONS = (
    (
        "HP-CCTT",
        "Chi cục Trồng trọt và Bảo vệ thực vật Hải Phòng",
        OrgKind.AUTHORITY,
        "Hải Phòng",
        "phường Hồng Bàng",
    ),
    ("HTX-DOSON", "HTX Dịch vụ Nông nghiệp Đồ Sơn", OrgKind.PRODUCER, "Hải Phòng", "phường Đồ Sơn"),
    ("HTX-THOILAI", "HTX Nông nghiệp Thới Lai", OrgKind.PRODUCER, "Cần Thơ", "xã Thới Lai"),
    ("HTX-HADONG", "HTX Rau an toàn Hà Đông", OrgKind.PRODUCER, "Hà Nội", "phường Hà Đông"),
    (
        "VER-VNMRV",
        "Trung tâm Thẩm định Phát thải Nông nghiệp",
        OrgKind.VERIFIER,
        "Hà Nội",
        "phường Ba Đình",
    ),
    ("MILL-CODO", "Nhà máy Xay xát Gạo Cờ Đỏ", OrgKind.PROCESSOR, "Cần Thơ", "xã Cờ Đỏ"),
    ("RET-XANH", "Siêu thị Xanh Hải Phòng", OrgKind.RETAILER, "Hải Phòng", "phường Lê Chân"),
    (
        "KT-DOSON",
        "Phòng Kinh tế phường Đồ Sơn",
        OrgKind.COMMUNE_OFFICE,
        "Hải Phòng",
        "phường Đồ Sơn",
    ),
)

USERS = (
    ("HP-CCTT", "chicuc@demo.ptt.vn", "Nguyễn Thị Hoa", (Role.ADMIN,)),
    ("HTX-DOSON", "htx.doson@demo.ptt.vn", "Trần Văn Bình", (Role.ADMIN,)),
    ("HTX-DOSON", "nhatky.doson@demo.ptt.vn", "Phạm Thị Lụa", (Role.STAFF,)),
    ("HTX-THOILAI", "htx.thoilai@demo.ptt.vn", "Lê Thị Cúc", (Role.ADMIN,)),
    ("HTX-HADONG", "htx.hadong@demo.ptt.vn", "Đỗ Thị Mai", (Role.ADMIN,)),
    ("VER-VNMRV", "thamdinh@demo.ptt.vn", "Phạm Minh Đức", (Role.ADMIN,)),
    ("MILL-CODO", "nhamay@demo.ptt.vn", "Võ Thanh Hải", (Role.ADMIN,)),
    ("RET-XANH", "sieuthi@demo.ptt.vn", "Đặng Thu Trang", (Role.ADMIN,)),
    ("KT-DOSON", "kinhte.doson@demo.ptt.vn", "Hoàng Văn Long", (Role.ADMIN,)),
)


def load_accounts(session: Db) -> int:
    """Create whatever part of the demo is missing; returns how many records it added."""
    created = 0
    orgs = {o.code: o for o in session.scalars(select(Organisation))}
    for code, name, kind, province, commune in ORGANISATIONS:
        if code not in orgs:
            orgs[code] = service.create_organisation(
                session, code=code, name=name, kind=kind, province=province, commune=commune
            )
            created += 1
    emails = set(session.scalars(select(User.email)))
    for code, email, name, roles in USERS:
        if email not in emails:
            service.create_user(
                session,
                organisation=orgs[code],
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                roles=roles,
            )
            created += 1
    return created
