"""The stored log: appends inside business transactions, proofs from stored subtrees."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry.db import db
from registry.ledger import service, tree, verify
from registry.ledger.models import LogEntry, LogNode
from registry.ledger.rfc9162 import leaf_hash
from registry.ledger.verify import root_from_leaves


def add(n: int) -> list[int]:
    return service.append_many(
        db.session, [("test.event", "HTX-A", f"s{i}", {"i": i}) for i in range(n)]
    )


def test_entries_are_jcs_bytes_of_the_five_fields(ctx: None) -> None:
    index = service.append(
        db.session,
        "field.registered",
        "HTX-DOSON",
        "F-01",
        {"area_ha": 1.25, "commune": "phường Đồ Sơn"},
    )
    db.session.commit()
    stored = service.entry(db.session, index)
    parsed = json.loads(stored)
    assert rfc8785.dumps(parsed) == stored
    assert parsed["type"] == "field.registered" and parsed["actor"] == "HTX-DOSON"
    assert parsed["subject"] == "F-01" and parsed["data"]["commune"] == "phường Đồ Sơn"
    assert parsed["time"].endswith("Z") and len(parsed["time"]) == 20


def test_indices_are_gapless_and_roots_match_a_rebuild(ctx: None) -> None:
    assert add(3) == [0, 1, 2]
    assert service.append(db.session, "test.event", "HTX-A", "x", {}) == 3
    db.session.commit()
    entries = [service.entry(db.session, i) for i in range(4)]
    assert service.size(db.session) == 4
    assert service.root(db.session, 4) == root_from_leaves(entries)
    assert service.root(db.session, 3) == root_from_leaves(entries[:3])


def test_a_rolled_back_transaction_leaves_no_entry(ctx: None) -> None:
    add(2)
    db.session.commit()
    service.append(db.session, "test.event", "HTX-A", "lost", {})
    db.session.rollback()
    assert service.size(db.session) == 2
    assert db.session.scalar(select(func.count()).select_from(LogEntry)) == 2
    assert db.session.scalar(select(func.count()).select_from(LogNode)) == 3
    assert service.append(db.session, "test.event", "HTX-A", "kept", {}) == 2


def test_private_fields_and_bad_types_never_reach_the_log(ctx: None) -> None:
    with pytest.raises(ValueError, match="private"):
        service.append(db.session, "field.registered", "HTX-A", "F", {"household": "Ông Ba"})
    with pytest.raises(ValueError, match="private"):
        service.append(db.session, "x.y", "HTX-A", "F", {"members": [{"phone": "0912"}]})
    with pytest.raises(ValueError):
        service.append(db.session, "NotAType", "HTX-A", "F", {})
    with pytest.raises(ValueError):
        service.append(db.session, "x.y", "HTX-A", "F", {"bad": float("nan")})
    assert service.size(db.session) == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=st.lists(st.integers(1, 9), min_size=1, max_size=6), data=st.data())
def test_stored_proofs_verify_for_random_logs(
    ctx: None, sizes: list[int], data: st.DataObject
) -> None:
    base = service.size(db.session)
    for n in sizes:
        add(n)
        db.session.commit()
    total = service.size(db.session)
    assert total == base + sum(sizes)
    grown = data.draw(st.integers(1, sum(sizes)))  # draws must not depend on earlier examples
    size = base + grown
    index = base + data.draw(st.integers(0, grown - 1))
    first = base + data.draw(st.integers(1, grown))
    root = service.root(db.session, size)
    proof = service.inclusion_proof(db.session, index, size)
    leaf = leaf_hash(service.entry(db.session, index))
    assert verify.verify_inclusion(index, size, leaf, proof, root)
    assert not verify.verify_inclusion(index, size, leaf_hash(b"forged"), proof, root)
    consistency = service.consistency_proof(db.session, first, size)
    older = service.root(db.session, first)
    assert verify.verify_consistency(first, size, older, root, consistency)
    if first < size:
        assert not verify.verify_consistency(first, size, root, older, consistency)


def test_proofs_read_only_log_n_stored_nodes(ctx: None) -> None:
    add(1000)
    db.session.commit()
    assert len(tree.inclusion_needs(517, 1000)) <= 2 * 10
    assert len(tree.consistency_needs(300, 1000)) <= 2 * 10


def test_bad_proof_parameters_are_domain_errors(ctx: None) -> None:
    add(4)
    db.session.commit()
    for call in (
        lambda: service.inclusion_proof(db.session, 4, 4),
        lambda: service.inclusion_proof(db.session, 0, 5),
        lambda: service.inclusion_proof(db.session, 4, 5),  # its left siblings all exist
        lambda: service.consistency_proof(db.session, 3, 2),
        lambda: service.consistency_proof(db.session, 1, 9),
    ):
        with pytest.raises(service.BadParameter):
            call()
    with pytest.raises(service.EntryNotFound):
        service.entry(db.session, 4)
