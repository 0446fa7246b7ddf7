"""`registry tokens create` and `revoke`: an API token without the browser, the same token
the API tokens page makes, with one-line errors for an unknown user or a bad scope."""

from __future__ import annotations

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

from registry.accounts.models import ApiToken, Role
from registry.db import db
from tests.conftest import Factory


def create(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=["tokens", "create", *args])


def test_a_token_made_on_the_command_line_opens_the_api_until_revoked(
    app: Flask, runner: FlaskCliRunner, make: Factory
) -> None:
    org = make.org(code="HTX-DOSON")
    make.user(org, roles=(Role.STAFF,), email="kho@htx.vn")
    made = create(runner, "--user", "Kho@HTX.vn", "--scopes", "read, write", "--name", "kho")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("ptt_") and made.stdout == secret + "\n"  # the token alone
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200 and me.json["organisation"]["code"] == "HTX-DOSON"
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken))
        assert token is not None and (token.name, token.scopes) == ("kho", ["read", "write"])
        assert token.expires_at is not None  # a year, as the page's default
        token_id = token.id
    assert f"token {token_id} " in made.stderr
    revoked = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert revoked.exit_code == 0 and client.get("/api/v1/me", headers=auth).status_code == 401


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--user", "nobody@htx.vn", "--scopes", "read"], "email"),
        (["--user", "kho@htx.vn", "--scopes", "read,admin"], "exchange"),
        (["--user", "kho@htx.vn", "--scopes", ","], "exchange"),
        (["--user", "kho@htx.vn", "--scopes", "read", "--name", "x" * 81], "80"),
        (["--user", "xem@htx.vn", "--scopes", "read"], "admin"),
    ],
)
def test_bad_requests_get_one_line_and_status_2(
    app: Flask, runner: FlaskCliRunner, make: Factory, args: list[str], shown: str
) -> None:
    org = make.org()
    make.user(org, roles=(Role.ADMIN,), email="kho@htx.vn")
    make.user(org, roles=(Role.VIEWER,), email="xem@htx.vn")
    result = create(runner, *args)  # in Vietnamese, the default language
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert shown in result.stderr and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(db.select(ApiToken)) is None


def test_revoking_an_unknown_token_says_so(runner: FlaskCliRunner, app: Flask) -> None:
    for token_id in ("999", str(2**31 - 1)):
        result = runner.invoke(args=["tokens", "revoke", token_id])
        assert result.exit_code == 2 and result.stderr.startswith("error: ")
    huge = runner.invoke(args=["tokens", "revoke", str(2**31)])  # past PostgreSQL's integer
    assert huge.exit_code == 2 and "Traceback" not in huge.output  # click's range message
