"""One behaviour for every backend: each test runs on a local folder and on the S3 API
server (tests/storage/conftest.py), through the `Store` interface alone."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.storage import BadKey, Missing, Store
from registry.storage.local import LocalStore
from registry.storage.s3 import S3Store
from tests.storage.conftest import BUCKET

PART = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,11}", fullmatch=True)
KEY = st.lists(PART, min_size=1, max_size=4).map("/".join)


def read(store: Store, key: str) -> bytes:
    blob = store.open(key)
    with contextlib.closing(blob.file) as stream:
        body = stream.read()
    assert len(body) == blob.size
    return body


def test_put_get_replace_delete(store: Store) -> None:
    store.put("log/tile/0/000", b"first")
    assert store.get("log/tile/0/000") == b"first"
    store.put("log/tile/0/000", b"second", content_type="application/octet-stream")
    assert store.get("log/tile/0/000") == b"second"
    assert store.exists("log/tile/0/000")
    store.delete("log/tile/0/000")
    store.delete("log/tile/0/000")  # absent: nothing happens
    assert not store.exists("log/tile/0/000")
    with pytest.raises(Missing):
        store.get("log/tile/0/000")
    with pytest.raises(Missing):
        store.open("log/tile/0/000")


def test_a_missing_key_is_missing_not_an_error(store: Store) -> None:
    assert not store.exists("evidence/ab/none")
    with pytest.raises(Missing):
        store.get("evidence/ab/none")
    store.put("evidence/ab/file", b"x")
    with pytest.raises(Missing):
        store.get("evidence/ab")  # a folder of the local backend is not an object
    assert not store.exists("evidence/ab")


def test_every_byte_value_and_the_empty_object_come_back(store: Store) -> None:
    store.put("a/all", bytes(range(256)) * 3)
    store.put("a/empty", b"")
    assert store.get("a/all") == bytes(range(256)) * 3
    assert (store.get("a/empty"), read(store, "a/empty")) == (b"", b"")


def test_a_big_object_streams_in_pieces_with_its_size(store: Store) -> None:
    body = os.urandom(3 * 1024 * 1024 + 17)
    store.put("prints/1.pdf", body, content_type="application/pdf")
    blob = store.open("prints/1.pdf")
    with contextlib.closing(blob.file) as stream:
        assert blob.size == len(body)
        pieces = list(iter(lambda: stream.read(256 * 1024), b""))
    assert len(pieces) > 1 and b"".join(pieces) == body


def test_keys_lists_by_plain_prefix_in_order(store: Store) -> None:
    for key in ("log/tile/0/001", "log/tile/0/000", "log/tile/1/000", "evidence/ab/x", "logs"):
        store.put(key, b".")
    assert list(store.keys("log/tile/0/")) == ["log/tile/0/000", "log/tile/0/001"]
    assert list(store.keys("log/")) == ["log/tile/0/000", "log/tile/0/001", "log/tile/1/000"]
    assert list(store.keys("log")) == [*store.keys("log/"), "logs"]
    assert list(store.keys("evidence/a")) == ["evidence/ab/x"]
    assert list(store.keys("nothing/")) == []
    assert len(list(store.keys())) == 5


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b", "..", "a/./b", "a b", "a\\b", ".x"])
def test_keys_that_are_not_relative_paths_are_refused_by_every_operation(
    store: Store, key: str
) -> None:
    for operation in (
        lambda: store.put(key, b"x"),
        lambda: store.get(key),
        lambda: store.open(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
        lambda: store.url(key),
    ):
        with pytest.raises(BadKey):
            operation()


def test_check_passes_for_a_usable_store(store: Store) -> None:
    store.check()


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(st.tuples(KEY, st.binary(max_size=64)), max_size=8))
def test_what_was_written_last_is_what_is_read_and_listed(
    store: Store, writes: list[tuple[str, bytes]]
) -> None:
    """Any keys (a key may also be the folder of another on S3, never locally), any bytes:
    reading gives the last write, `keys` lists each key once, in order."""
    prefix = f"p{uuid.uuid4().hex}/"
    written: dict[str, bytes] = {}
    for key, body in writes:
        if isinstance(store, LocalStore) and _clashes(key, written):
            continue  # a file cannot also be a folder on disk
        store.put(prefix + key, body)
        written[key] = body
    assert list(store.keys(prefix)) == sorted(prefix + key for key in written)
    for key, body in written.items():
        assert store.get(prefix + key) == body


def _clashes(key: str, written: dict[str, bytes]) -> bool:
    return any(k.startswith(key + "/") or key.startswith(k + "/") for k in written)


def test_two_prefixes_of_one_bucket_are_two_stores(s3: object) -> None:
    one, two = (S3Store(BUCKET, f"tests/{uuid.uuid4().hex}", s3=s3) for _ in range(2))
    one.put("evidence/ab/x", b"one")
    assert not two.exists("evidence/ab/x") and list(two.keys()) == []
    assert list(one.keys()) == ["evidence/ab/x"]
