from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from registry.accounts.models import Organisation, User
from registry.db import db
from registry.demo import DEMO_PASSWORD, ORGANISATIONS, USERS


def test_org_and_user_commands_create_records(runner: FlaskCliRunner, ctx: None) -> None:
    result = runner.invoke(
        args=[
            "org",
            "create",
            "--code",
            "htx-an",
            "--name",
            "HTX An Bình",
            "--kind",
            "producer",
            "--province",
            "Cần Thơ",
            "--commune",
            "xã Thới Lai",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--org",
            "HTX-AN",
            "--email",
            "an@htx.vn",
            "--name",
            "Nguyễn Văn An",
            "--password",
            "mật khẩu dài",
            "--role",
            "admin",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "an@htx.vn"))
    assert user is not None and user.roles == ["admin"] and user.organisation.code == "HTX-AN"


def test_cli_refuses_bad_input_with_a_message_and_status_2(
    runner: FlaskCliRunner, ctx: None
) -> None:
    args = [
        "org",
        "create",
        "--code",
        "X-1",
        "--name",
        "X",
        "--kind",
        "producer",
        "--province",
        "Cần Thơ",
        "--commune",
        "xã A",
    ]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 2 and "X-1" in again.output
    unknown = runner.invoke(
        args=[
            "user",
            "create",
            "--org",
            "NOPE",
            "--email",
            "a@b.vn",
            "--name",
            "A",
            "--password",
            "x" * 12,
        ]
    )
    assert unknown.exit_code == 2
    assert (
        runner.invoke(args=[*args[:-4], "--province", "Sài Gòn", "--commune", "x"]).exit_code == 2
    )


def test_demo_loads_every_role_once(runner: FlaskCliRunner, ctx: None) -> None:
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == second.exit_code == 0
    assert db.session.scalar(select(func.count(Organisation.id))) == len(ORGANISATIONS)
    assert db.session.scalar(select(func.count(User.id))) == len(USERS)
    kinds = {o.kind.value for o in db.session.scalars(select(Organisation))}
    assert kinds == {"authority", "producer", "verifier", "processor", "retailer", "commune_office"}
    assert DEMO_PASSWORD


def test_migrate_command_is_idempotent(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0 and "up to date" in result.output
