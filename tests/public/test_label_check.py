"""The shared outside checker (../shared/checks/label_check.py) against a label served over
real HTTP: the registry's label passes, a tampered or revoked one fails as expected."""

from __future__ import annotations

import subprocess
import sys

import pytest
from flask import Flask

from registry.accounts.models import Organisation
from registry.db import db
from registry.labels import status
from registry.labels.models import LabelStatus
from registry.trace.models import Batch
from tests.conftest import SHARED
from tests.public.conftest import authority, farm, grower, issue_on, packed, verifier  # noqa: F401

CHECK = SHARED / "checks" / "label_check.py"


def check(url: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), url, *flags], capture_output=True, text=True, timeout=60
    )


@pytest.mark.skipif(not CHECK.exists(), reason=f"no shared checker at {CHECK}")
def test_the_shared_checker_accepts_the_label_and_refuses_fakes(
    app: Flask, live_server: str, packed: Batch, authority: Organisation
) -> None:
    served = issue_on(app, packed, authority, base=live_server)
    good = check(served.url)
    assert good.returncode == 0, good.stdout + good.stderr
    head, token = served.url.split("le=")
    forged = f"{head}le={token[:30]}{'B' if token[30] == 'A' else 'A'}{token[31:]}"
    assert check(forged, "--expect-invalid").returncode == 0
    status.change(db.session, authority, served.serial, LabelStatus.REVOKED, "fraud")
    db.session.commit()
    revoked = check(served.url, "--expect-invalid")
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
