"""Unit tokens signed in parallel: the same bytes as one by one, one log entry a request,
and a pool of processes that is reused, replaced with the key, and leaves nothing behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from registry.accounts.models import Organisation
from registry.db import db, utcnow
from registry.labels import issuance, signer
from registry.labels import token as ptt1
from registry.labels.gs1 import gtin_check_digit
from registry.ledger import service as ledger
from registry.trace.models import Batch
from tests.labels.conftest import TODAY, authority, issuer, packed, reference  # noqa: F401

KEY = Ed25519PrivateKey.generate()
CLAIMS = ptt1.LabelClaims(
    serial="0000000A",
    lot="TUI-1",
    gtin="08934567890120",
    g_co2e_per_kg=612,
    reduction_permille=253,
    methodology="ipcc2019-t1-crops",
    verifier="VER-1",
    log_index=41,
    iss="PTT-TEST",
    iat=1_790_000_000,
    exp=1_821_536_000,
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_pool_before_or_after() -> Iterator[None]:
    signer.shutdown()
    yield
    signer.shutdown()
    assert multiprocessing.active_children() == []


def one_by_one(
    claims: ptt1.LabelClaims, serials: Sequence[str], key: Ed25519PrivateKey
) -> list[str]:
    """The reference: each token signed from its own claims by `token.sign`."""
    return [ptt1.sign(replace(claims, serial=serial), key) for serial in serials]


def signed(serials: Sequence[str], pool_from: int, key: Ed25519PrivateKey = KEY) -> list[str]:
    template = ptt1.TokenTemplate.of(CLAIMS, key.public_key())
    return [t for chunk in signer.tokens(template, serials, key, pool_from) for t in chunk]


def serials_of(count: int) -> list[str]:
    return [f"S{n:07d}" for n in range(count)]


def gone(pid: int) -> bool:
    """Ended (an orphan nobody reaps stays a zombie: that counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


# ---------------------------------------------------------------- the bytes
codes = st.text("ABCDEFGHJKMNPQRSTVWXYZ0123456789-", min_size=1, max_size=20)
gtins = st.from_regex(r"[0-9]{13}", fullmatch=True).map(lambda b: b + str(gtin_check_digit(b)))
claims = st.builds(
    ptt1.LabelClaims,
    serial=codes,
    lot=codes,
    gtin=st.none() | gtins,
    g_co2e_per_kg=st.integers(0, 2**32),
    reduction_permille=st.integers(0, 1000),
    methodology=st.text(min_size=1, max_size=40),
    verifier=st.text(min_size=1, max_size=20),
    log_index=st.integers(0, 2**63),
    iss=st.text(min_size=1, max_size=20),
    iat=st.integers(0, 2**32),
    exp=st.just(2**33),
)


@given(claims, codes)
def test_a_template_signs_the_token_of_its_claims_with_each_serial(
    found: ptt1.LabelClaims, serial: str
) -> None:
    template = ptt1.TokenTemplate.of(found, KEY.public_key())
    assert template.sign(serial, KEY) == one_by_one(found, [serial], KEY)[0]


@pytest.mark.parametrize("count", [5, 2 * signer.CHUNK + 17])
def test_pooled_tokens_are_the_bytes_of_tokens_signed_one_by_one(count: int) -> None:
    serials = serials_of(count)
    pooled = signed(serials, pool_from=0)
    assert signer.processes(), "the pool signed them"
    assert pooled == signed(serials, pool_from=count + 1) == one_by_one(CLAIMS, serials, KEY)
    trust = {ptt1.key_id(KEY.public_key()): KEY.public_key()}
    for serial, token in zip(serials, pooled, strict=True):
        assert ptt1.verify(token, trust, CLAIMS.iat) == replace(CLAIMS, serial=serial)


@pytest.mark.parametrize("units", [50, signer.POOL_FROM + signer.CHUNK])
def test_issued_units_are_the_tokens_signed_one_by_one_under_one_log_entry(
    packed: Batch, authority: Organisation, issuer: issuance.Issuer, units: int
) -> None:
    before = ledger.size(db.session)
    request = issuance.request_label(db.session, packed.organisation, packed.id, units, 0.01)
    label = issuance.issue(db.session, authority, request.id, issuer, TODAY)
    db.session.commit()
    assert ledger.size(db.session) == before + 1
    assert bool(signer.processes()) == (units >= signer.POOL_FROM)
    rows = [label, *issuance.units_of(db.session, label.id)]
    assert len(rows) == units + 1
    trust = {bytes.fromhex(issuer.kid): issuer.key.public_key()}
    for row in rows:
        assert (row.token, row.url) == reference(row, issuer), row.serial
        verdict = ptt1.check_url(row.url, trust, set(), utcnow().timestamp())
        assert verdict.status is ptt1.Status.VALID and verdict.claims is not None
        assert verdict.claims.log_index == label.log_index


# ---------------------------------------------------------------- the pool's life
def test_the_pool_is_reused_replaced_with_the_key_and_shut_down() -> None:
    serials = serials_of(signer.POOL_FROM)
    signed(serials, pool_from=0)
    first = signer.processes()
    assert len(first) == len(os.sched_getaffinity(0))
    from_a_thread: list[list[str]] = []
    thread = threading.Thread(target=lambda: from_a_thread.append(signed(serials, 0)))
    thread.start()  # as a gthread worker or the development server would call it
    thread.join()
    assert from_a_thread == [one_by_one(CLAIMS, serials, KEY)]
    assert signer.processes() == first, "reused"
    rotated = Ed25519PrivateKey.generate()
    assert signed(serials, 0, rotated) == one_by_one(CLAIMS, serials, rotated)
    second = signer.processes()
    assert second and not set(first) & set(second) and all(map(gone, first))
    signer.shutdown()
    assert signer.processes() == [] and all(map(gone, second))


def test_a_killed_child_costs_the_pool_not_the_tokens() -> None:
    serials = serials_of(3 * signer.CHUNK)
    signed(serials[:10], pool_from=0)
    victim = signer.processes()[0]
    os.kill(victim, signal.SIGKILL)
    assert signed(serials, pool_from=0) == one_by_one(CLAIMS, serials, KEY)
    assert signed(serials[:10], pool_from=0) == one_by_one(CLAIMS, serials[:10], KEY)
    assert signer.processes() and victim not in signer.processes()


def test_a_daemonic_process_signs_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True)
    serials = serials_of(signer.POOL_FROM)
    assert signed(serials, pool_from=0) == one_by_one(CLAIMS, serials, KEY)
    assert signer.processes() == []


PARENT = """
import sys, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from registry.labels import signer, token
key = Ed25519PrivateKey.generate()
claims = token.LabelClaims("A", "L", None, 1, 1, "m", "v", 1, "i", 1, 2)
for _ in signer.tokens(token.TokenTemplate.of(claims, key.public_key()), ["B"] * 10, key, 0):
    pass
print(*signer.processes(), flush=True)
time.sleep(60)
"""


def test_the_children_leave_when_their_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert parent.stdout is not None
    children = [int(pid) for pid in parent.stdout.readline().split()]
    assert children and not any(map(gone, children))
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while not all(map(gone, children)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(map(gone, children))
