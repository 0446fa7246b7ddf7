"""Declared ties on pages: the verifier declares its own, the authority any verifier's; a
form without a choice is refused beside the field, a second declaration with a message;
only verifier and authority staff declare; the queue marks the reports a verifier may not
decide."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from registry.accounts.models import Organisation, OrgKind, Role
from registry.db import db
from registry.verify import ties
from registry.verify.models import DeclaredTie
from tests.conftest import Factory
from tests.verify.conftest import Farm
from tests.verify.test_verifier_views import (
    Setting,
    draft_report,
    post,
    second_farm,
    signed_in,
    submit,
    text,
)

OWN, EVERY = "/verifier/ties", "/verifiers/ties"


def row_of(page: str, report_id: int) -> str:
    """The queue's table row of one report."""
    found = re.search(rf"<tr>(?:(?!</tr>).)*>#{report_id}</a>(?:(?!</tr>).)*</tr>", page, re.S)
    assert found, f"report {report_id} is not in the queue"
    return found.group(0)


def authority_admin(app: Flask, make: Factory) -> tuple[FlaskClient, Organisation]:
    authority = make.org(kind=OrgKind.AUTHORITY, code="BVTV-CT", name="Chi cục Cần Thơ")
    return signed_in(app, make.user(authority)), authority


# ---------------------------------------------------------------- the verifier's page
def test_a_verifier_declares_its_own_tie(app: Flask, farm: Farm, make: Factory) -> None:
    s = Setting(app, farm, make)
    page = text(s.client.get(OWN))
    assert "Quan hệ đã khai báo (xung đột lợi ích)" in page and "Chưa khai báo quan hệ nào." in page
    assert '<option value="" selected>Chọn…</option>' in page
    assert '<option value="consultancy" >Tư vấn</option>' in page
    assert '<option value="HTX-THOILAI" >' in page

    empty = post(s.client, OWN, {"producer": "", "kind": "consultancy"})
    assert empty.status_code == 422
    assert re.search(r'id="producer-error">Hãy chọn hợp tác xã.<', text(empty))
    assert 'aria-invalid="true"' in text(empty) and ties.ties_of(db.session) == []

    made = post(s.client, OWN, {"producer": "HTX-THOILAI", "kind": "consultancy", "note": "AWD"})
    assert made.status_code == 302
    listed = text(s.client.get(made.headers["Location"]))
    assert "Đã khai báo quan hệ của Trung tâm Thẩm định với Tổ chức" in listed
    table = re.sub(r"<[^>]+>", " ", listed.split('id="ties"')[1].split("</section>")[0])
    htx = db.session.get(Organisation, farm[0].id)
    assert htx is not None and htx.name in table and "HTX-THOILAI" not in table  # names
    assert re.search(r"\d\d/\d\d/\d{4}", table) and "Tư vấn" in table and "AWD" in table

    again = post(s.client, OWN, {"producer": "HTX-THOILAI", "kind": "family"})
    assert again.status_code == 409
    assert "Quan hệ giữa đơn vị thẩm định này và HTX này đã được khai báo." in text(again)
    assert len(ties.ties_of(db.session)) == 1


def test_who_may_see_and_declare_on_the_verifier_page(
    app: Flask, farm: Farm, make: Factory
) -> None:
    s = Setting(app, farm, make)
    viewer = signed_in(app, make.user(s.verifier, roles=(Role.VIEWER,)))
    shown = text(viewer.get(OWN))
    assert "Chỉ quản trị viên và nhân viên" in shown and 'name="producer"' not in shown
    data = {"producer": "HTX-THOILAI", "kind": "other"}
    assert post(viewer, OWN, data).status_code == 403
    htx = signed_in(app, farm[1])
    assert htx.get(OWN).status_code == 403 and htx.get(EVERY).status_code == 403
    assert htx.post(OWN, data=data).status_code in (400, 403)  # no CSRF token to take
    assert s.client.get(EVERY).status_code == 403  # a verifier declares only its own
    assert ties.ties_of(db.session) == []


# ---------------------------------------------------------------- the authority's page
def test_the_authority_declares_a_tie_for_a_verifier(app: Flask, farm: Farm, make: Factory) -> None:
    verifier = make.org(kind=OrgKind.VERIFIER, code="VER-MEKONG", name="Trung tâm Mê Kông")
    client, authority = authority_admin(app, make)
    assert "Quan hệ đã khai báo (xung đột lợi ích)" in text(client.get("/verifiers"))
    page = text(client.get(EVERY))
    assert '<option value="VER-MEKONG" >Trung tâm Mê Kông</option>' in page

    empty = post(client, EVERY, {"verifier": "", "producer": "", "kind": ""})
    found = text(empty)
    assert empty.status_code == 422
    assert 'id="verifier-error">Hãy chọn một đơn vị thẩm định.<' in found
    assert 'id="producer-error">Hãy chọn hợp tác xã.<' in found
    assert 'id="kind-error">Hãy chọn loại quan hệ.<' in found

    data = {"verifier": "VER-MEKONG", "producer": "HTX-THOILAI", "kind": "ownership"}
    assert post(client, EVERY, data).status_code == 302
    listed = text(client.get(EVERY))
    assert "Trung tâm Mê Kông" in listed and "Sở hữu, góp vốn" in listed
    assert "do Chi cục Cần Thơ khai báo" in listed
    tie = db.session.get(DeclaredTie, (verifier.id, farm[0].id))
    assert tie is not None and tie.declared_by_id == authority.id
    assert post(client, EVERY, data).status_code == 409

    staff = signed_in(app, make.user(authority, roles=(Role.STAFF,)))
    assert staff.get(EVERY).status_code == 200
    viewer = signed_in(app, make.user(authority, roles=(Role.VIEWER,)))
    assert post(viewer, EVERY, {**data, "producer": "HTX-THOILAI"}).status_code == 403


# ---------------------------------------------------------------- the queue
def test_the_queue_marks_the_reports_of_a_tied_htx_only(
    app: Flask, farm: Farm, make: Factory
) -> None:
    s = Setting(app, farm, make)
    org, user, code = second_farm(make)
    other = draft_report(org, user, code)
    submit(org, other)
    queue = text(s.client.get("/mrv/queue"))
    assert "data-declared-tie" not in queue and f'href="{OWN}"' in queue

    ties.declare(db.session, s.verifier, farm[0], "consultancy", by=s.verifier)
    db.session.commit()
    queue = text(s.client.get("/mrv/queue"))
    assert "Có quan hệ đã khai báo — không được thẩm định" in row_of(queue, s.report_id)
    assert "data-declared-tie" not in row_of(queue, other)

    untied = make.org(kind=OrgKind.VERIFIER, code="VER-KHAC")
    for other_user in (make.user(untied), make.user(s.authority)):
        client = signed_in(app, other_user)
        assert "data-declared-tie" not in text(client.get("/mrv/queue"))
