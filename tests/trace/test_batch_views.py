"""Batch pages as HTX and mill staff use them: forms refuse with the message beside the
right box (422), the batch page draws the upstream tree, hand-overs are answered."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from registry.accounts.models import Organisation, User
from registry.db import db
from registry.trace.models import Batch, Handover
from registry.verify import approvals
from tests.conftest import Factory, csrf_token, login
from tests.trace.test_batches import grower, harvest, mill  # noqa: F401
from tests.verify.conftest import farm, verifier  # noqa: F401


def owner_of(org: Organisation) -> User:
    user = db.session.scalar(db.select(User).where(User.organisation_id == org.id))
    assert user is not None
    return user


def error_for(html: str, name: str) -> str:
    found = re.search(rf'<p class="error" id="{name}-error">([^<]+)</p>', html)
    assert found, f"no error shown for {name}"
    return found.group(1)


def test_an_htx_draws_a_batch_and_hands_it_to_the_mill(
    client: FlaskClient,
    make: Factory,
    grower,
    mill: Organisation,
) -> None:
    org, season = grower
    login(client, owner_of(org))
    form = client.get("/batches/new").get_data(as_text=True)
    assert season.code in form and "6.600 kg" in form  # what is left, Vietnamese digits
    token = csrf_token(client, "/batches/new")
    too_much = client.post(
        "/batches/new",
        data={"csrf_token": token, "lot_code": "lua-1", "season_1": season.code, "kg_1": "7000"},
    )
    assert too_much.status_code == 422
    assert "6.600" in error_for(too_much.get_data(as_text=True), "kg_1")
    assert db.session.scalar(db.select(db.func.count(Batch.id))) == 0
    made = client.post(
        "/batches/new",
        data={"csrf_token": token, "lot_code": "lua-1", "season_1": season.code, "kg_1": "6600"},
    )
    assert made.status_code == 302
    page = client.get(made.location).get_data(as_text=True)
    assert "<svg" in page and season.code in page and season.field.code in page
    assert "Giảm so với 2020" in page or "Reduction vs 2020" in page
    batch_id = int(made.location.rsplit("/", 1)[1])
    form = client.get(f"/batches/{batch_id}").get_data(as_text=True)
    assert '<option value="" selected>Chọn…</option>' in form  # nobody is guessed
    assert 'value="MILL-1" selected' not in form
    for unchosen in ({}, {"receiver": ""}):
        nobody = client.post(
            f"/batches/{batch_id}/ship", data={"csrf_token": token, "ship_kg": "10", **unchosen}
        )
        assert nobody.status_code == 422
        assert (
            error_for(nobody.get_data(as_text=True), "receiver") == "Hãy chọn đơn vị nhận lô hàng."
        )
        assert db.session.scalar(db.select(db.func.count(Handover.id))) == 0
    sent = client.post(
        f"/batches/{batch_id}/ship",
        data={"csrf_token": token, "receiver": "MILL-1", "ship_kg": "6000"},
    )
    assert sent.status_code == 302
    client.post("/logout", data={"csrf_token": token})
    login(client, make.user(mill))
    register = client.get("/batches").get_data(as_text=True)
    assert "LUA-1-1" in register and ("Nhận" in register or "Accept" in register)
    handover = re.search(r'action="/handovers/(\d+)"', register)
    assert handover
    token = csrf_token(client, "/batches")
    answered = client.post(
        f"/handovers/{handover.group(1)}", data={"csrf_token": token, "accept": "1"}
    )
    assert answered.status_code == 302
    part = db.session.scalar(db.select(Batch).where(Batch.lot_code == "LUA-1-1"))
    assert part is not None and part.organisation_id == mill.id
    low = client.post(
        "/batches/process?product=paddy&step=milling",
        data={
            "csrf_token": token,
            f"kg_{part.id}": "6000",
            "co_rice_husk": "1200",
            "co_rice_bran": "500",
            "lot_code": "GAO-1",
            "quantity_kg": "3000",
        },
    )
    assert low.status_code == 422 and "%" in error_for(low.get_data(as_text=True), "quantity_kg")
    assert client.get(f"/batches/{batch_id}").status_code == 404  # not one step from the mill


def test_a_revocation_notice_shows_until_it_is_read(
    client: FlaskClient, make: Factory, grower, verifier
) -> None:
    org, season = grower
    paddy = harvest(org, season, 100)
    approval_id = paddy.inputs[0].approval_id
    assert approval_id is not None
    approvals.revoke(db.session, verifier[0], approval_id, "Sai diện tích")
    db.session.commit()
    login(client, owner_of(org))
    assert season.code not in client.get("/batches/new").get_data(as_text=True)
    page = client.get("/batches").get_data(as_text=True)
    assert "LUA-1: Sai diện tích" in page and "tạm giữ" in page
    notice = re.search(r'action="/notices/(\d+)/read"', page)
    assert notice
    other = make.user(make.org(code="HTX-KHAC"))
    token = csrf_token(client, "/batches")
    assert (
        client.post(f"/notices/{notice.group(1)}/read", data={"csrf_token": token}).status_code
        == 302
    )
    assert "Sai diện tích" not in client.get("/batches").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    login(client, other)
    token = csrf_token(client, "/batches")
    assert (
        client.post(f"/notices/{notice.group(1)}/read", data={"csrf_token": token}).status_code
        == 404
    )
