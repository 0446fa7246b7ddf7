"""Schemathesis over every operation of the OpenAPI document, with every check: the
document stays true as the API grows (docs/api.md, "The document is tested").

Each operation gets the examples, coverage and fuzzing phases on a fixed seed, generated
deterministically, with a short budget; requests go to the suite's app over HTTP
(`live_server`) with the bearer tokens of a producer, a processor and the authority, in turn.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

from registry import create_app
from registry.accounts import service
from registry.accounts.models import OrgKind, Role, User
from registry.db import db

# Schema-valid requests the registry refuses by rules a JSON Schema cannot state (a
# season of your own, what a batch has left, a photo that is not a photo): 415 and 422
# are expected of them besides the check's own list.
ACCEPTED = ["2xx", "401", "403", "404", "409", "415", "422"]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 17,
        "generation": {"max-examples": 5, "deterministic": True},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
    }
)


def _document() -> dict[str, Any]:
    """The OpenAPI document, from an app of its own: pytest collects the operations before
    the suite's app and database exist. Its instance folder is a temporary one."""
    os.environ.setdefault("REGISTRY_INSTANCE", tempfile.mkdtemp(prefix="registry-openapi-"))
    twin = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    document: dict[str, Any] = twin.test_client().get("/api/v1/openapi.json").get_json()
    return document


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


@pytest.fixture
def tokens(app: Flask) -> Iterator[str]:
    """Bearer tokens of a producer, a processor and the authority, in turn. Their users have
    no password: hashing one takes half a second, and they never sign in."""
    found = []
    with app.app_context():
        for kind in (OrgKind.PRODUCER, OrgKind.PROCESSOR, OrgKind.AUTHORITY):
            org = service.create_organisation(
                db.session,
                kind=kind,
                code=f"FUZZ-{kind.value.upper()}",
                name=f"Fuzz {kind.value}",
                province="Hải Phòng",
                commune="phường Đồ Sơn",
            )
            user = User(
                organisation=org,
                email=f"{kind.value}@fuzz.vn",
                name="Fuzz",
                password_hash="!",
                roles=[Role.ADMIN.value],
            )
            db.session.add(user)
            db.session.flush()
            _, secret = service.create_token(
                db.session, user=user, name="fuzz", scopes=("read", "write", "exchange")
            )
            found.append(secret)
        db.session.commit()
    return itertools.cycle(found)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_keeps_to_the_document(
    case: schemathesis.Case, live_server: str, tokens: Iterator[str]
) -> None:
    case.call_and_validate(
        base_url=live_server, headers={"Authorization": f"Bearer {next(tokens)}"}
    )
