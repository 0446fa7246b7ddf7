"""Concurrent appenders get gapless, ordered indices and one consistent tree."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy.orm import Session

from registry.db import db
from registry.ledger import service
from registry.ledger.audit import verify_store

WRITERS, APPENDS = 8, 15


def test_concurrent_appenders_yield_gapless_indices(app: Flask) -> None:
    got: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(APPENDS):
                    with Session(db.engine) as session, session.begin():
                        got.append(
                            service.append(
                                session, "test.event", "HTX-A", f"w{number}-{i}", {"writer": number}
                            )
                        )
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(got) == list(range(WRITERS * APPENDS))
    with app.app_context():
        report = verify_store(db.session, "unused", [])
        assert report.ok, report.problems
        assert report.entries == WRITERS * APPENDS
