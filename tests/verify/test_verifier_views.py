"""Verifier pages through the test client: keys, the review page and its evidence, the
statement signed as `registry verifier sign` does, every refusal with its message, the
authority's accreditation page, and revoking an approval."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage

from registry.accounts.models import Organisation, OrgKind, Role, User
from registry.db import db, utcnow
from registry.trace import service
from registry.trace.evidence import app_store
from registry.trace.schemas import DiaryEntryIn, SeasonIn
from registry.verify import approvals, reports, signing
from registry.verify.models import Accreditation, MrvReport, ReportStatus
from tests.conftest import Factory, csrf_token, login
from tests.trace.conftest import field_values
from tests.trace.test_evidence import photo
from tests.verify.conftest import AWD_DIARY, BASELINE_DIARY, Farm, keep

PERIOD = (date(2025, 12, 1), date(2026, 4, 30))


# ---------------------------------------------------------------- helpers
class Client(FlaskClient):
    """A browser of its own. The `farm` fixture keeps one app context open, which every
    request then shares: what the last request cached in `g` (the signed-in user, the CSRF
    token, the locale) is dropped first, as a fresh app context would."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            for name in list(g):
                g.pop(name, None)
        return super().open(*args, **kwargs)


def anonymous(app: Flask) -> FlaskClient:
    return Client(app, app.response_class, use_cookies=True)


def signed_in(app: Flask, user: User) -> FlaskClient:
    client = anonymous(app)
    login(client, user)
    return client


def post(client: FlaskClient, path: str, data: dict[str, Any], page: str | None = None) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)})


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def with_photo(app: Flask, org: Organisation, user: User, season_code: str) -> str:
    """A diary note with a geotagged photo; returns the photo's SHA-256."""
    store = app_store()
    upload = FileStorage(io.BytesIO(photo()), filename="ruong.jpg", content_type="image/jpeg")
    stored = service.store_evidence(db.session, org, store, upload)
    values = DiaryEntryIn().load(
        {
            "season": season_code,
            "kind": "note",
            "date": "2026-01-12",
            "data": {"text": "Ruộng khô nẻ chân chim"},
            "evidence": [stored.sha256],
        }
    )
    service.record_entry(db.session, org, user, values)
    return stored.sha256


def draft_report(org: Organisation, user: User, season_code: str) -> int:
    report = reports.create_report(db.session, org, user, *PERIOD, [season_code])
    db.session.commit()
    return report.id


def submit(org: Organisation, report_id: int) -> None:
    reports.submit(db.session, org, report_id)
    db.session.commit()


def second_farm(make: Factory) -> tuple[Organisation, User, str]:
    """Another HTX in Cần Thơ with the same diaries, for a second submitted report."""
    made = make.org(kind=OrgKind.PRODUCER, code="HTX-TANTHOI", province="Cần Thơ")
    org, user = db.session.get(Organisation, made.id), db.session.get(User, make.user(made).id)
    assert org is not None and user is not None
    service.register_field(db.session, org, field_values(province="Cần Thơ"))
    seasons = []
    plan = ((2020, "2019-12-05", BASELINE_DIARY), (2026, "2025-12-08", AWD_DIARY))
    for year, sowing, diary in plan:
        values = {"field": "DS-01", "season_type": "dong_xuan", "year": year, "sowing_date": sowing}
        season = service.open_season(db.session, org, SeasonIn().load(values))
        keep(org, user, season, diary)
        seasons.append(season)
    db.session.commit()
    return org, user, seasons[1].code


class Setting:
    """A submitted report of the farm, and an accredited verifier signed in with a key."""

    def __init__(self, app: Flask, farm: Farm, make: Factory, register_key: bool = True) -> None:
        self.app, self.farm = app, farm
        org, user, _, awd = farm
        self.photo = with_photo(app, org, user, awd.code)
        self.report_id = draft_report(org, user, awd.code)
        submit(org, self.report_id)
        made = make.org(kind=OrgKind.VERIFIER, code="VER-MEKONG", name="Trung tâm Thẩm định")
        self.authority = make.org(kind=OrgKind.AUTHORITY, code="BVTV-CT")
        self.verifier = db.session.get(Organisation, made.id)
        self.user = make.user(made, name="Lê Thị Lan")
        self.accreditation = accredit(self.verifier, self.authority)
        self.key = Ed25519PrivateKey.generate()
        self.kid = signing.kid(self.key.public_key())
        if register_key:
            approvals.register_key(db.session, self.verifier, pem(self.key), "Máy văn phòng")
            db.session.commit()
        self.client = signed_in(app, self.user)

    @property
    def review(self) -> str:
        return f"/mrv/reports/{self.report_id}/review"

    def statement(
        self, decision: str = "approved", report_id: int | None = None, **extra: str
    ) -> Any:
        report_id = report_id or self.report_id
        data = {"decision": decision, "kid": self.kid, **extra}
        return post(
            self.client,
            f"/mrv/reports/{report_id}/statement",
            data,
            page=f"/mrv/reports/{report_id}/review",
        )

    def built(self, report_id: int | None = None) -> dict[str, Any]:
        page = self.statement(report_id=report_id)
        assert page.status_code == 200, text(page)
        return hidden_statement(text(page))

    def decide(
        self, statement: dict[str, Any], signature: str, report_id: int | None = None
    ) -> Any:
        report_id = report_id or self.report_id
        return post(
            self.client,
            f"/mrv/reports/{report_id}/decision",
            {"statement": json.dumps(statement), "signature": signature},
            page=f"/mrv/reports/{report_id}/review",
        )


def accredit(
    verifier: Any, authority: Organisation, provinces: tuple[str, ...] = ("Cần Thơ",)
) -> int:
    today = utcnow().date()
    accreditation = approvals.accredit(
        db.session,
        db.session.get(Organisation, verifier.id),  # type: ignore[arg-type]
        db.session.get(Organisation, authority.id),  # type: ignore[arg-type]
        crops=["rice"],
        provinces=list(provinces),
        valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=365),
    )
    db.session.commit()
    return accreditation.id


def hidden_statement(page: str) -> dict[str, Any]:
    found = re.search(r'name="statement" value="([^"]*)"', page)
    assert found, "no statement on the sign page"
    document = json.loads(html.unescape(found.group(1)))
    assert isinstance(document, dict)
    return document


@pytest.fixture
def setting(app: Flask, farm: Farm, make: Factory) -> Setting:
    return Setting(app, farm, make)


# ---------------------------------------------------------------- keys
def test_key_registration_shows_field_errors_then_registers_and_revokes(
    app: Flask, farm: Farm, make: Factory
) -> None:
    s = Setting(app, farm, make, register_key=False)
    bad = post(s.client, "/verifier/keys", {"public_key": "không phải khóa", "label": "Laptop"})
    page = text(bad)
    assert bad.status_code == 422
    assert 'id="public_key-error"' in page and 'aria-invalid="true"' in page
    assert "Không phải khóa công khai Ed25519" in page
    empty = post(s.client, "/verifier/keys", {"public_key": "", "label": "Laptop"})
    assert empty.status_code == 422 and 'id="public_key-error"' in text(empty)

    made = post(s.client, "/verifier/keys", {"public_key": pem(s.key), "label": "Laptop chị Lan"})
    assert made.status_code == 302
    listed = text(s.client.get("/verifier/keys"))
    assert s.kid in listed and "Laptop chị Lan" in listed and 'data-key-status="active"' in listed
    assert "registry verifier keygen" in listed and "Tạo khóa trong trình duyệt này" in listed
    again = post(s.client, "/verifier/keys", {"public_key": pem(s.key), "label": "Lại"})
    assert again.status_code == 409 and 'id="public_key-error"' in text(again)

    no_state = post(s.client, f"/verifier/keys/{s.kid}/revoke", {}, page="/verifier/keys")
    assert no_state.status_code == 422 and f'id="state-{s.kid}-error"' in text(no_state)
    revoked = post(
        s.client, f"/verifier/keys/{s.kid}/revoke", {"state": "compromised"}, page="/verifier/keys"
    )
    assert revoked.status_code == 302
    assert 'data-key-status="compromised"' in text(s.client.get("/verifier/keys"))
    jwks = s.client.get(f"/api/v1/verifiers/{s.verifier.code}/keys").get_json()
    assert jwks["keys"][0]["status"] == "compromised"


def test_only_verifier_staff_manage_keys(app: Flask, setting: Setting, make: Factory) -> None:
    viewer = signed_in(app, make.user(setting.verifier, roles=(Role.VIEWER,)))
    assert viewer.get("/verifier/keys").status_code == 403
    review = text(viewer.get(setting.review))
    assert "Tạo văn bản để ký" not in review and "quản trị viên" in review
    assert (
        post(viewer, f"/mrv/reports/{setting.report_id}/statement", {}, setting.review).status_code
        == 403
    )
    htx = signed_in(app, setting.farm[1])
    assert htx.get("/verifier/keys").status_code == 403
    assert htx.get(setting.review).status_code == 403
    assert anonymous(app).get("/verifier/keys").status_code == 302  # to sign in


# ---------------------------------------------------------------- review and signing
def test_review_page_shows_seasons_diary_photos_and_digest(setting: Setting) -> None:
    page = text(setting.client.get(setting.review))
    report = db.session.get(MrvReport, setting.report_id)
    assert report is not None and report.digest in page
    awd = setting.farm[3]
    assert f'id="season-{awd.code}"' in page and "Rút nước, phơi ruộng" in page
    assert f"/mrv/reports/{setting.report_id}/evidence/{setting.photo}" in page
    assert 'data-gps="20.720139,106.791667"' in page and "01/05/2024 07:30" in page
    assert "Tạo văn bản để ký" in page and setting.kid in page
    explained = setting.client.get(f"/mrv/reports/{setting.report_id}/seasons/{awd.code}")
    assert explained.status_code == 200 and "EF<sub>c</sub>" in text(explained)


def test_a_cli_signed_approval_is_recorded_and_the_report_approved(
    app: Flask, setting: Setting
) -> None:
    page = setting.statement()
    assert page.status_code == 200
    body = text(page)
    statement = hidden_statement(body)
    assert statement["report"] == setting.report_id and statement["kid"] == setting.kid
    assert statement["type"] == "mrv.approval" and statement["verifier"] == "VER-MEKONG"
    to_sign = signing.b64url(signing.statement_bytes(statement))
    assert f'data-sign-bytes="{to_sign}"' in body
    command = f"registry verifier sign statement-{setting.report_id}.json --key KHOA.pem"
    assert command in body
    signed = datetime.fromisoformat(statement["signed_at"]).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    said = re.search(r"data-signed-local>([^<]*)<", body).group(1)  # type: ignore[union-attr]
    assert statement["signed_at"] in said and "UTC" in said  # which time is which
    assert signed.strftime("%d/%m/%Y %H:%M UTC+07:00") in said

    link = html.unescape(re.search(r'href="([^"]*statement\.json[^"]*)"', body).group(1))  # type: ignore[union-attr]
    download = setting.client.get(link)
    assert download.status_code == 200
    assert f"statement-{setting.report_id}.json" in download.headers["Content-Disposition"]
    assert json.loads(download.get_data()) == statement

    signature = signing.sign(json.loads(download.get_data()), setting.key)  # as the CLI does
    recorded = setting.decide(statement, signature)
    assert recorded.status_code == 302
    assert recorded.headers["Location"] == f"/mrv/reports/{setting.report_id}"
    report_page = text(setting.client.get(recorded.headers["Location"]))
    assert 'data-status="approved"' in report_page and 'data-approval-status="valid"' in report_page
    listed = anonymous(app).get("/api/v1/approvals").get_json()["items"]
    assert listed[0]["signature"] == signature and listed[0]["statement"] == statement


def test_a_rejection_needs_reasons_and_goes_back_with_them(setting: Setting) -> None:
    missing = setting.statement(decision="rejected")
    assert missing.status_code == 422 and 'id="reason-error"' in text(missing)
    nothing = setting.statement(decision="")
    assert nothing.status_code == 422 and 'id="decision-error"' in text(nothing)
    page = setting.statement(decision="rejected", reason="Thiếu ảnh rút nước lần 2")
    statement = hidden_statement(text(page))
    assert (
        statement["type"] == "mrv.rejection" and statement["reason"] == "Thiếu ảnh rút nước lần 2"
    )
    assert setting.decide(statement, signing.sign(statement, setting.key)).status_code == 302
    htx = signed_in(setting.app, setting.farm[1])
    report_page = text(htx.get(f"/mrv/reports/{setting.report_id}"))
    assert 'data-status="rejected"' in report_page and "Thiếu ảnh rút nước lần 2" in report_page


def test_a_signature_made_with_another_key_is_refused(setting: Setting) -> None:
    statement = setting.built()
    forged = signing.sign(statement, Ed25519PrivateKey.generate())
    refused = setting.decide(statement, forged)
    page = text(refused)
    assert refused.status_code == 422
    expected = f"Chữ ký số không khớp với khóa {statement['kid']} mà văn bản ghi"
    assert 'id="signature-error"' in page and expected in page
    garbage = setting.decide(statement, "abc")
    assert garbage.status_code == 422 and 'id="signature-error"' in text(garbage)
    assert db.session.get(MrvReport, setting.report_id).status is ReportStatus.SUBMITTED  # type: ignore[union-attr]


def test_a_key_of_another_verifier_cannot_be_chosen(setting: Setting, make: Factory) -> None:
    other = make.org(kind=OrgKind.VERIFIER, code="VER-OTHER")
    key = Ed25519PrivateKey.generate()
    approvals.register_key(db.session, db.session.get(Organisation, other.id), pem(key), "x")  # type: ignore[arg-type]
    db.session.commit()
    refused = post(
        setting.client,
        f"/mrv/reports/{setting.report_id}/statement",
        {"decision": "approved", "kid": signing.kid(key.public_key())},
        page=setting.review,
    )
    assert refused.status_code == 422 and 'id="kid-error"' in text(refused)


def test_a_declared_tie_or_the_htx_itself_is_refused(app: Flask, setting: Setting) -> None:
    producer = db.session.get(Organisation, setting.farm[0].id)
    verifier = db.session.get(Organisation, setting.verifier.id)
    assert producer is not None and verifier is not None
    approvals.declare_relationship(db.session, verifier, producer, "consultancy")
    db.session.commit()
    refused = setting.statement()
    assert refused.status_code == 403 and "Xung đột lợi ích" in text(refused)
    assert "data-blocked" in text(setting.client.get(setting.review))
    htx = signed_in(app, setting.farm[1])
    own = post(
        htx,
        f"/mrv/reports/{setting.report_id}/statement",
        {"decision": "approved", "kid": setting.kid},
        page=f"/mrv/reports/{setting.report_id}",
    )
    assert own.status_code == 403


def test_a_suspended_accreditation_is_refused(setting: Setting) -> None:
    statement = setting.built()
    accreditation = db.session.get(Accreditation, setting.accreditation)
    authority = db.session.get(Organisation, setting.authority.id)
    assert accreditation is not None and authority is not None
    approvals.suspend(db.session, accreditation, authority, "Hồ sơ năng lực hết hạn")
    db.session.commit()
    refused = setting.decide(statement, signing.sign(statement, setting.key))
    assert refused.status_code == 403 and "bị đình chỉ" in text(refused)
    assert setting.statement().status_code == 403


def test_a_modified_statement_is_refused(setting: Setting) -> None:
    statement = setting.built()
    statement["totals"] = {**statement["totals"], "total_kg_co2e": 1.0}
    refused = setting.decide(statement, signing.sign(statement, setting.key))
    assert refused.status_code == 422 and "không khớp với báo cáo" in text(refused)
    broken = post(
        setting.client,
        f"/mrv/reports/{setting.report_id}/decision",
        {"statement": "{not json", "signature": "x" * 86},
        page=setting.review,
    )
    assert broken.status_code == 422
    for odd in ({"signed_at": statement["signed_at"].rstrip("Z")}, {"type": ["mrv.approval"]}):
        refused = setting.decide({**statement, **odd}, "x" * 86)
        assert refused.status_code == 422 and "Văn bản bị thiếu hoặc hỏng" in text(refused)


def test_a_signature_replayed_for_another_report_is_refused(
    setting: Setting, make: Factory
) -> None:
    org, user, code = second_farm(make)
    other = draft_report(org, user, code)
    submit(org, other)
    statement = setting.built()
    signature = signing.sign(statement, setting.key)
    replayed = setting.decide(statement, signature, report_id=other)
    assert replayed.status_code == 422 and "không khớp với báo cáo" in text(replayed)
    assert setting.decide(statement, signature).status_code == 302  # where it belongs


# ---------------------------------------------------------------- evidence, corrections
def test_evidence_only_of_a_submitted_report(app: Flask, farm: Farm, make: Factory) -> None:
    org, user, _, awd = farm
    sha = with_photo(app, org, user, awd.code)
    report_id = draft_report(org, user, awd.code)
    verifier = signed_in(app, make.user(make.org(kind=OrgKind.VERIFIER)))
    htx = signed_in(app, user)
    path = f"/mrv/reports/{report_id}/evidence/{sha}"
    assert verifier.get(path).status_code == 404
    assert htx.get(path).status_code == 404
    submit(org, report_id)
    shown = verifier.get(path)
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert htx.get(path).status_code == 200
    assert verifier.get(f"/mrv/reports/{report_id}/evidence/{'0' * 64}").status_code == 404
    assert verifier.get(f"/mrv/reports/{report_id}/evidence/..%2Fsecret").status_code == 404
    stranger = signed_in(app, make.user(make.org(kind=OrgKind.PRODUCER)))
    assert stranger.get(path).status_code == 404


def test_a_request_for_correction_reaches_the_htx(setting: Setting) -> None:
    empty = post(
        setting.client,
        f"/mrv/reports/{setting.report_id}/corrections",
        {"text": " "},
        page=setting.review,
    )
    assert empty.status_code == 422 and 'id="text-error"' in text(empty)
    sent = post(
        setting.client,
        f"/mrv/reports/{setting.report_id}/corrections",
        {"text": "Bổ sung ảnh lần rút nước thứ hai"},
        page=setting.review,
    )
    assert sent.status_code == 302
    htx = signed_in(setting.app, setting.farm[1])
    page = text(htx.get(f"/mrv/reports/{setting.report_id}"))
    assert "Bổ sung ảnh lần rút nước thứ hai" in page and 'data-status="under_review"' in page


# ---------------------------------------------------------------- revocation
def test_revoking_an_approval_marks_the_seasons_that_depended_on_it(
    app: Flask, setting: Setting, make: Factory
) -> None:
    statement = setting.built()
    assert setting.decide(statement, signing.sign(statement, setting.key)).status_code == 302
    approval_id = approvals.approvals_of_report(db.session, setting.report_id)[0].id
    report_page = f"/mrv/reports/{setting.report_id}"
    assert "Thu hồi phê duyệt" in text(setting.client.get(report_page))

    authority = signed_in(app, make.user(setting.authority))
    assert "Thu hồi phê duyệt" in text(authority.get(report_page))
    other = signed_in(app, make.user(make.org(kind=OrgKind.VERIFIER, code="VER-OTHER")))
    assert "Thu hồi phê duyệt" not in text(other.get(report_page))
    forbidden = post(other, f"/mrv/approvals/{approval_id}/revoke", {"reason": "x"}, report_page)
    assert forbidden.status_code == 403

    path = f"/mrv/approvals/{approval_id}/revoke"
    empty = post(setting.client, path, {"reason": ""}, report_page)
    assert empty.status_code == 422 and f'id="reason-{approval_id}-error"' in text(empty)
    revoked = post(setting.client, path, {"reason": "Ảnh GPS không khớp thửa ruộng"}, report_page)
    assert revoked.status_code == 302
    page = text(setting.client.get(report_page))
    assert 'data-approval-status="revoked"' in page and "data-no-longer-verified" in page
    assert setting.farm[3].code in page and "không còn được thẩm định" in page
    assert "Ảnh GPS không khớp thửa ruộng" in page
    assert anonymous(app).get(f"/api/v1/approvals/{approval_id}").get_json()["status"] == "revoked"


# ---------------------------------------------------------------- accreditation
def test_the_authority_accredits_and_suspends_verifiers(app: Flask, make: Factory) -> None:
    authority = make.org(kind=OrgKind.AUTHORITY, code="BVTV-HP")
    verifier = make.org(kind=OrgKind.VERIFIER, code="VER-HP", name="Viện Môi trường Nông nghiệp")
    admin = signed_in(app, make.user(authority))
    page = text(admin.get("/verifiers"))
    assert "Viện Môi trường Nông nghiệp" in page and "Cần Thơ" in page
    today = utcnow().date()
    form = {
        "organisation": "VER-HP",
        "crops": "rice",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
    }
    missing = post(admin, "/verifiers", form)
    assert missing.status_code == 422 and 'id="provinces-error"' in text(missing)
    backwards = post(
        admin, "/verifiers", {**form, "provinces": "Hải Phòng", "valid_until": "2020-01-01"}
    )
    assert backwards.status_code == 422 and 'id="valid_until-error"' in text(backwards)
    made = admin.post(
        "/verifiers",
        data={
            **form,
            "provinces": ["Hải Phòng", "Cần Thơ"],
            "csrf_token": csrf_token(admin, "/verifiers"),
        },
    )
    assert made.status_code == 302
    page = text(admin.get("/verifiers"))
    assert 'data-accreditation-status="active"' in page and "Hải Phòng, Cần Thơ" in page
    with app.app_context():
        accreditation = db.session.scalar(
            db.select(Accreditation).where(Accreditation.organisation_id == verifier.id)
        )
    assert accreditation is not None
    suspend = f"/verifiers/accreditations/{accreditation.id}/suspend"
    empty = post(admin, suspend, {"reason": ""}, "/verifiers")
    assert empty.status_code == 422 and f'id="reason-{accreditation.id}-error"' in text(empty)
    assert post(admin, suspend, {"reason": "Vi phạm quy trình"}, "/verifiers").status_code == 302
    page = text(admin.get("/verifiers"))
    assert 'data-accreditation-status="suspended"' in page and "Vi phạm quy trình" in page
    assert signed_in(app, make.user(verifier)).get("/verifiers").status_code == 403
    staff = make.user(authority, roles=(Role.STAFF,))
    assert signed_in(app, staff).get("/verifiers").status_code == 403
