"""Label pages and API as people and machines use them: a request shows the criteria,
the authority issues, the status API and lists follow every change, the offline
verifier (CLI and page) agrees, and compromised keys stop being trusted."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from registry.accounts.models import Organisation, User
from registry.db import db
from registry.labels import revocations as lists
from registry.labels.api import issuer
from registry.trace.models import Batch
from tests.conftest import Factory, csrf_token, login
from tests.labels.conftest import authority, packed  # noqa: F401


def staff(org: Organisation, make: Factory) -> User:
    found = db.session.scalar(db.select(User).where(User.organisation_id == org.id))
    return found or make.user(org)


def issue_through_pages(client: FlaskClient, make: Factory, packed: Batch, authority) -> str:
    login(client, staff(packed.organisation, make))
    token = csrf_token(client, f"/batches/{packed.id}")
    asked = client.post(
        f"/batches/{packed.id}/labels", data={"csrf_token": token, "units": "10", "unit_kg": "5"}
    )
    assert asked.status_code == 302 and "/labels/requests/" in asked.location
    page = client.get(asked.location).get_data(as_text=True)
    assert "✔" in page and "TUI-1" in page  # every criterion met
    client.post("/logout", data={"csrf_token": token})
    login(client, make.user(authority))
    token = csrf_token(client, "/labels/queue")
    issued = client.post(asked.location + "/issue", data={"csrf_token": token})
    assert issued.status_code == 302, issued.get_data(as_text=True)
    return issued.location.rsplit("/", 1)[1]


def test_request_issue_suspend_reinstate_and_revoke(
    app: Flask, client: FlaskClient, make: Factory, packed, authority
) -> None:
    serial = issue_through_pages(client, make, packed, authority)
    status = client.get(f"/api/v1/labels/{serial}").json
    assert status["status"] == "valid" and status["batch"] == "TUI-1"
    assert status["reduction_pct"] == round(packed.reduction_pct or 0, 1)
    token = csrf_token(client, f"/labels/{serial}")
    bad = client.post(
        f"/labels/{serial}/status",
        data={"csrf_token": token, "status": "revoked", "reason_code": "under_review"},
    )
    assert bad.status_code == 422
    for to, code in (("suspended", "under_review"), ("valid", ""), ("revoked", "fraud")):
        done = client.post(
            f"/labels/{serial}/status",
            data={"csrf_token": token, "status": to, "reason_code": code},
        )
        assert done.status_code == 302
        assert client.get(f"/api/v1/labels/{serial}").json["status"] == to
    listed = client.get("/api/v1/revocations").json["revoked"]
    assert {r["serial"] for r in listed} >= {serial} and len(listed) == 11  # with its 10 units
    since = client.get("/api/v1/revocations?since=4000000000").json["revoked"]
    assert since == []
    signed = client.get("/api/v1/revocations.cose")
    keys = lists.verification_keys(lists.trust_from_jwks(client.get("/.well-known/jwks.json").json))
    assert {r.serial for r in lists.verify_revocations(signed.data, keys)} == {
        r["serial"] for r in listed
    }


def test_bulk_status_and_the_listing(
    app: Flask, client: FlaskClient, make: Factory, packed, authority
) -> None:
    serial = issue_through_pages(client, make, packed, authority)
    answer = client.post(
        "/api/v1/labels/status", json={"serials": [serial, "NOPE0000", serial.lower()]}
    )
    assert [a["status"] for a in answer.json] == ["valid", "unknown", "valid"]
    assert client.post("/api/v1/labels/status", json={"serials": []}).status_code == 422
    assert client.post("/api/v1/labels/status", json={"serials": ["X"] * 1001}).status_code == 422
    assert client.get("/api/v1/labels/NOPE0000").status_code == 404
    page = client.get("/api/v1/labels?limit=1").json
    assert [i["serial"] for i in page["items"]] == [serial] and page["next_cursor"]
    assert client.get("/api/v1/labels?limit=0").status_code == 422


def test_the_offline_verifier_agrees_with_the_checker_and_sees_a_compromised_key(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    make: Factory,
    packed,
    authority,
    tmp_path: Path,
) -> None:
    serial = issue_through_pages(client, make, packed, authority)
    url = client.get(f"/api/v1/labels/{serial}").json["url"]
    jwks, cose = tmp_path / "jwks.json", tmp_path / "revocations.cose"

    def save_lists() -> None:
        jwks.write_bytes(client.get("/.well-known/jwks.json").data)
        cose.write_bytes(client.get("/api/v1/revocations.cose").data)

    save_lists()
    good = runner.invoke(
        args=["label", "verify", url, "--jwks", str(jwks), "--revocations", str(cose)]
    )
    assert good.exit_code == 0 and json.loads(good.output)["status"] == "valid"
    tampered = re.sub(r"/21/\w+", "/21/AAAAAAAA", url)
    bad = runner.invoke(
        args=["label", "verify", tampered, "--jwks", str(jwks), "--revocations", str(cose)]
    )
    assert bad.exit_code == 4 and json.loads(bad.output)["status"] == "invalid"
    page = client.get("/labels/verify", query_string={"url": url}).get_data(as_text=True)
    assert 'data-verdict="valid"' in page
    kid = issuer().kid
    with app.app_context():
        marked = runner.invoke(args=["keys", "compromise", "label", kid])
    assert marked.exit_code == 0, marked.output
    save_lists()
    entries = {k["kid"]: k["status"] for k in json.loads(jwks.read_text())["keys"]}
    assert entries[kid] == "compromised" and "active" in entries.values()
    time.sleep(1.1)  # the status read looks at the key folder at most once a second
    assert client.get(f"/api/v1/labels/{serial}").json["reason"] == "key_compromised"
    after = runner.invoke(
        args=["label", "verify", url, "--jwks", str(jwks), "--revocations", str(cose)]
    )
    assert after.exit_code == 4 and json.loads(after.output)["reason"] == "unknown_key"


def test_only_the_authority_sets_criteria(
    client: FlaskClient, make: Factory, packed, authority
) -> None:
    login(client, make.user(authority))
    token = csrf_token(client, "/labels/criteria")
    bad = client.post("/labels/criteria", data={"csrf_token": token, "min_reduction_pct": "120"})
    assert bad.status_code == 422
    good = client.post(
        "/labels/criteria",
        data={
            "csrf_token": token,
            "min_reduction_pct": "12",
            "validity_days": "365",
            "required_schemes": "vietgap",
        },
    )
    assert good.status_code == 302
    assert "VIETGAP" in client.get("/labels/queue").get_data(as_text=True)


def test_a_rotated_key_stays_trusted_while_its_labels_are_unexpired(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, make: Factory, packed, authority
) -> None:
    serial = issue_through_pages(client, make, packed, authority)
    old = issuer().kid
    with app.app_context():
        assert runner.invoke(args=["keys", "rotate", "label"]).exit_code == 0
    keys = {k["kid"]: k for k in client.get("/.well-known/jwks.json").json["keys"]}
    assert keys[old]["status"] == "retired" and keys[issuer().kid]["status"] == "active"
    label = client.get(f"/api/v1/labels/{serial}").json
    assert keys[old]["exp"] == int(datetime.fromisoformat(label["expires_at"]).timestamp())
    page = client.get("/labels/verify", query_string={"url": label["url"]}).get_data(as_text=True)
    assert 'data-verdict="valid"' in page
