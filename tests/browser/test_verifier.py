"""A verifier on a 360 px phone makes an Ed25519 key in Debian's chromium (WebCrypto, the
private key non-extractable in IndexedDB), registers it, builds the statement for the Cần Thơ
HTX's report, signs it in the browser, and the report shows as approved; the signature then
verifies with nothing but the published key."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from registry.accounts.models import Organisation, OrgKind
from registry.db import db, utcnow
from registry.verify import approvals, reports, signing
from tests.browser.test_pages import no_horizontal_scroll
from tests.browser.test_trace import sign_in
from tests.conftest import Factory
from tests.verify import conftest as verify_fixtures
from tests.verify.conftest import Farm

farm = verify_fixtures.farm  # the HTX in Cần Thơ with a 2026 AWD season ready for a report

ED25519_PROBE = """async () => {
  try {
    await crypto.subtle.generateKey({name: "Ed25519"}, false, ["sign", "verify"]);
    return true;
  } catch (e) { return false; }
}"""


def submitted_report(farm: Farm) -> int:
    org, user, _, awd = farm
    report = reports.create_report(
        db.session, org, user, date(2025, 12, 1), date(2026, 4, 30), [awd.code]
    )
    reports.submit(db.session, org, report.id)
    db.session.commit()
    return report.id


def accredited_verifier(make: Factory) -> Organisation:
    made = make.org(kind=OrgKind.VERIFIER, code="VER-MEKONG", name="Trung tâm Thẩm định Mê Kông")
    authority = make.org(kind=OrgKind.AUTHORITY, code="BVTV-CT")
    today = utcnow().date()
    approvals.accredit(
        db.session,
        db.session.get(Organisation, made.id),  # type: ignore[arg-type]
        db.session.get(Organisation, authority.id),  # type: ignore[arg-type]
        crops=["rice"],
        provinces=["Cần Thơ"],
        valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=365),
    )
    db.session.commit()
    return made


def test_a_verifier_signs_an_approval_in_the_browser(
    phone: Any, farm: Farm, make: Factory, live_server: str
) -> None:
    report_id = submitted_report(farm)
    verifier = accredited_verifier(make)
    sign_in(phone, make.user(verifier, name="Lê Thị Lan").email)

    phone.goto("/verifier/keys")
    assert "registry verifier keygen" in phone.locator("#cli").inner_text()
    if not phone.evaluate(ED25519_PROBE):  # a browser without Ed25519 in WebCrypto
        fallback = phone.locator("[data-keygen-unsupported]")
        fallback.wait_for(state="visible")
        assert "registry verifier keygen" in fallback.inner_text()
        assert "registry verifier sign" in fallback.inner_text()
        return

    phone.get_by_role("button", name="Tạo khóa trong trình duyệt này").click()
    row = phone.locator("tr[data-kid]")
    row.first.wait_for()
    kid = row.first.get_attribute("data-kid")
    assert row.first.locator("[data-key-status]").get_attribute("data-key-status") == "active"
    row.first.locator("[data-in-browser]").wait_for(state="visible")
    extractable = phone.evaluate(
        """kid => new Promise((resolve, reject) => {
          const open = indexedDB.open("phatthaithap-verifier", 1);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction("keys").objectStore("keys").get(kid);
            get.onsuccess = () => resolve(get.result.privateKey.extractable);
          };
        })""",
        kid,
    )
    assert extractable is False
    assert no_horizontal_scroll(phone)

    phone.goto(f"/mrv/reports/{report_id}/review")
    assert no_horizontal_scroll(phone)
    phone.get_by_label("Phê duyệt", exact=True).check()
    phone.get_by_label("Ký bằng khóa").select_option(kid)
    phone.get_by_role("button", name="Tạo văn bản để ký").click()
    phone.wait_for_url(f"**/mrv/reports/{report_id}/statement")
    assert f'"kid": "{kid}"' in phone.locator("[data-statement]").inner_text()
    assert no_horizontal_scroll(phone)

    phone.get_by_role("button", name="Ký bằng trình duyệt").click()
    phone.wait_for_url(f"**/mrv/reports/{report_id}")
    assert phone.locator("[data-status]").get_attribute("data-status") == "approved"
    assert phone.locator("[data-approval-status]").get_attribute("data-approval-status") == "valid"
    assert no_horizontal_scroll(phone)
    assert phone.requested_hosts == {live_server.split("/")[2]}

    published = phone.request.get("/api/v1/approvals?limit=1").json()["items"][0]
    key_set = phone.request.get(f"/api/v1/verifiers/{verifier.code}/keys").json()
    x = next(k["x"] for k in key_set["keys"] if k["kid"] == published["kid"])
    assert published["kid"] == kid and published["decision"] == "approved"
    public_key = signing.parse_public_key(x)
    assert signing.verify(published["statement"], published["signature"], public_key)
