"""The label page keeps the chain it rendered for a batch, per language and day, under the
chain's stamp (registry/public/chain.py), and renders it again when anything the chain
shows changes; the verdict is decided afresh on every opening (DESIGN §9, issue 20).

Each change below is made through the registry's own services, then the page as the cache
serves it is compared with the page rendered from scratch."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import Connection

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.labels import issuance, status
from registry.labels.models import Label, LabelStatus
from registry.public import label_page
from registry.public.fragments import Fragments
from registry.trace import batches, service
from registry.trace.models import Batch, BatchInput, Season
from registry.trace.schemas import DiaryEntryIn
from registry.verify import approvals
from tests.conftest import Factory
from tests.public.conftest import label, path_of  # noqa: F401
from tests.trace.test_batches import BASE

CHAIN = re.compile(r'aria-labelledby="claim-h">.*?aria-labelledby="check-h"', re.S)


@pytest.fixture
def rendered(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The cache on, empty, and the batch ids of the chains rendered."""
    monkeypatch.setitem(app.config, "LABEL_PAGE_CACHE_SECONDS", 3600)
    monkeypatch.setattr(label_page, "CHAIN_PARTS", Fragments(64))
    monkeypatch.setattr(label_page, "SHAPES", Fragments(64))
    made: list[int] = []
    render = label_page._render_chain

    def counted(reads: Connection, batch_id: int) -> label_page.ChainPart:
        made.append(batch_id)
        return render(reads, batch_id)

    monkeypatch.setattr(label_page, "_render_chain", counted)
    yield made


def opened(client: FlaskClient, lb: Label) -> str:
    return client.get(path_of(lb.url)).get_data(as_text=True)


def chain_shown(html: str) -> str:
    found = CHAIN.search(html)
    assert found, "no claim and chain on the page"
    return found.group(0)


def fresh(app: Flask, client: FlaskClient, lb: Label) -> str:
    """The page of `lb` rendered without the cache."""
    before = app.config["LABEL_PAGE_CACHE_SECONDS"]
    app.config["LABEL_PAGE_CACHE_SECONDS"] = 0
    try:
        return opened(client, lb)
    finally:
        app.config["LABEL_PAGE_CACHE_SECONDS"] = before


def test_every_label_of_a_batch_shares_one_rendering_and_the_verdict_is_fresh(
    client: FlaskClient, label: Label, authority: Organisation, rendered: list[int]
) -> None:
    units = issuance.units_of(db.session, label.id)
    pages = [opened(client, lb) for lb in (label, *units, label)]
    assert rendered == [label.batch_id]
    assert all("DS-01" in html for html in pages)
    assert label.serial in pages[1]  # a unit names its batch label
    status.change(db.session, authority, label.serial, LabelStatus.SUSPENDED, "under_review")
    db.session.commit()
    assert 'data-verdict="suspended"' in opened(client, units[0])  # at once
    status.change(db.session, authority, label.serial, LabelStatus.VALID, "")
    db.session.commit()
    assert 'data-verdict="valid"' in opened(client, units[1])
    assert rendered == [label.batch_id]  # the status is the label's, not the chain's


def test_a_change_to_the_chain_shows_at_the_next_opening(
    app: Flask,
    client: FlaskClient,
    label: Label,
    packed: Batch,
    verifier: tuple[Organisation, object, str],
    make: Factory,
    rendered: list[int],
) -> None:
    """Each thing that may change once the batch exists (chain.py's docstring) changes
    the chain shown, which then equals the page rendered without the cache."""
    season = db.session.scalars(db.select(Season).where(Season.year == 2026)).one()
    grower = db.session.get(Organisation, season.field.organisation_id)
    assert grower is not None
    user = db.session.scalars(db.select(User).where(User.organisation_id == grower.id)).first()
    assert user is not None
    retailer = db.session.get(Organisation, make.org(kind=OrgKind.RETAILER, code="RET-1").id)
    assert retailer is not None

    def certified() -> None:
        service.add_certification(
            db.session,
            grower,
            season.field.code,
            {
                "scheme": "organic",
                "number": "HC-2026-7",
                "issuer": "Trung tâm Chứng nhận",
                "valid_from": date(2025, 1, 1),
                "valid_until": date(2099, 12, 31),
            },
        )

    def drained() -> None:
        values = {"event": "drainage", "end_date": "2026-02-18"}
        entry = {"season": season.code, "kind": "water", "date": "2026-02-10", "data": values}
        service.record_entry(db.session, grower, user, DiaryEntryIn().load(entry))

    def handed_over() -> None:
        sent = batches.ship(db.session, grower, packed.id, "RET-1", BASE)
        db.session.commit()
        batches.answer(db.session, retailer, sent.id, True, BASE)

    def put_on_hold() -> None:
        approval_id = next(i.approval_id for i in season_inputs() if i.approval_id)
        approvals.revoke(db.session, verifier[0], approval_id, "Sai diện tích")

    changes: list[tuple[Callable[[], None], str]] = [
        (certified, "HC-2026-7"),
        (drained, "3 lần rút nước"),
        (handed_over, named("RET-1")),
        (put_on_hold, 'class="warn"'),  # the claim says the batch is on hold
    ]
    before = chain_shown(opened(client, label))
    assert len(rendered) == 1
    for change, shown in changes:
        assert shown not in before, change.__name__
        change()
        db.session.commit()
        after = chain_shown(opened(client, label))
        assert after == chain_shown(fresh(app, client, label)), change.__name__
        assert after != before and shown in after, change.__name__
        assert chain_shown(opened(client, label)) == after  # kept again
        before = after
    assert len(rendered) == 1 + 2 * len(changes)  # per change: once cached, once without


def season_inputs() -> list[BatchInput]:
    return list(db.session.scalars(db.select(BatchInput).where(BatchInput.season_id.is_not(None))))


def named(code: str) -> str:
    found = db.session.scalar(db.select(Organisation.name).where(Organisation.code == code))
    assert found is not None
    return found


def test_the_other_language_has_its_own_rendering(
    client: FlaskClient, label: Label, rendered: list[int]
) -> None:
    vietnamese = opened(client, label)
    client.set_cookie("lang", "en")
    refresh()
    english = opened(client, label)
    assert "Thửa ruộng" in vietnamese and "Fields" in english and "Fields" not in vietnamese
    client.set_cookie("lang", "vi")
    refresh()
    assert chain_shown(opened(client, label)) == chain_shown(vietnamese)
    assert len(rendered) == 2  # one per language, the Vietnamese one kept


def test_a_certificate_turns_expired_when_the_day_changes(
    client: FlaskClient,
    label: Label,
    rendered: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    season = db.session.scalars(db.select(Season)).first()
    assert season is not None
    grower = db.session.get(Organisation, season.field.organisation_id)
    assert grower is not None
    today = label_page.today_in_vietnam()
    service.add_certification(
        db.session,
        grower,
        season.field.code,
        {
            "scheme": "vietgap",
            "number": "VG-LAST-DAY",
            "issuer": "Chi cục",
            "valid_from": date(2024, 1, 1),
            "valid_until": today,
        },
    )
    db.session.commit()
    assert "data-cert-expired" not in opened(client, label)
    monkeypatch.setattr(label_page, "today_in_vietnam", lambda: today + timedelta(days=1))
    assert "data-cert-expired" in opened(client, label)
    assert len(rendered) == 2
