"""C2SP signed notes and checkpoints: Go's published example, the auditor, and tampering."""

from __future__ import annotations

import base64
import importlib.util
import pathlib
from collections.abc import Callable
from types import ModuleType

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from registry.ledger.note import (
    Checkpoint,
    NoteError,
    format_checkpoint,
    key_id,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_vkey,
    sign_note,
    vkey,
)
from registry.ledger.rfc9162 import leaf_hash

SHARED = pathlib.Path(__file__).resolve().parents[2].parent / "shared"


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("log_check", SHARED / "checks" / "log_check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKER = _load_checker()

# golang.org/x/mod/sumdb/note's documented example: another implementation's exact bytes.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    b"If you think cryptography is the answer to your problem,\n"
    b"then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + (
        "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
        "qfqdngotpRZb6KE6RyyBwJnAM=\n"
    ).encode()
)

ORIGIN = "registry.example.vn/log"
ROOT = leaf_hash(b"some root")


def go_private_key() -> Ed25519PrivateKey:
    raw = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert raw[0] == 0x01
    return Ed25519PrivateKey.from_private_bytes(raw[1:])


@pytest.fixture(scope="module")
def log_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def log_vkey(log_key: Ed25519PrivateKey) -> str:
    return vkey(ORIGIN, log_key.public_key())


@pytest.fixture(scope="module")
def signed(log_key: Ed25519PrivateKey) -> bytes:
    return sign_note(format_checkpoint(ORIGIN, 1234, ROOT), ORIGIN, log_key)


# ---------------------------------------------------------------- interoperability
def test_reproduces_go_signed_note_byte_for_byte() -> None:
    key = go_private_key()
    assert vkey("PeterNeumann", key.public_key()) == GO_VKEY
    assert sign_note(GO_TEXT, "PeterNeumann", key) == GO_NOTE  # Ed25519 is deterministic


def test_opens_go_signed_note() -> None:
    assert open_note(GO_NOTE, GO_VKEY) == GO_TEXT.decode()


def test_auditor_accepts_our_checkpoint(signed: bytes, log_vkey: str) -> None:
    assert CHECKER.open_checkpoint(signed, log_vkey) == (ORIGIN, 1234, ROOT)
    name, kid, _ = CHECKER.parse_vkey(log_vkey)
    assert (name, kid) == (ORIGIN, parse_vkey(log_vkey).key_id)


def test_checkpoint_round_trip(signed: bytes, log_vkey: str) -> None:
    body = open_note(signed, log_vkey)
    assert body == f"{ORIGIN}\n1234\n{base64.b64encode(ROOT).decode()}\n"
    assert parse_checkpoint(body) == Checkpoint(ORIGIN, 1234, ROOT)
    assert open_checkpoint(signed, log_vkey) == (ORIGIN, 1234, ROOT)


_ORIGINS = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="+"),
    min_size=1,
    max_size=30,
).filter(lambda name: not any(c.isspace() for c in name))


@given(_ORIGINS, st.integers(min_value=0, max_value=2**63), st.binary(min_size=32, max_size=32))
def test_any_checkpoint_round_trips(origin: str, size: int, root: bytes) -> None:
    key = go_private_key()
    note = sign_note(format_checkpoint(origin, size, root), origin, key)
    assert open_checkpoint(note, vkey(origin, key.public_key())) == (origin, size, root)


def test_vkey_format(log_key: Ed25519PrivateKey, log_vkey: str) -> None:
    name, hex_id, blob = log_vkey.split("+", 2)
    raw_pub = base64.b64decode(blob)[1:]
    assert name == ORIGIN
    assert hex_id == key_id(ORIGIN, raw_pub).hex() and len(hex_id) == 8
    assert base64.b64decode(blob)[0] == 0x01
    assert vkey(ORIGIN, raw_pub) == log_vkey
    assert parse_vkey(log_vkey + "\n").name == ORIGIN  # as served by GET /log/key


# ---------------------------------------------------------------- rejection
def test_modified_body_is_rejected(signed: bytes, log_vkey: str) -> None:
    forged = signed.replace(b"\n1234\n", b"\n1235\n")
    with pytest.raises(NoteError, match="does not verify"):
        open_note(forged, log_vkey)
    with pytest.raises(InvalidSignature):
        CHECKER.open_checkpoint(forged, log_vkey)


def test_wrong_key_is_rejected(signed: bytes) -> None:
    other = vkey(ORIGIN, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(NoteError, match="not signed by"):
        open_note(signed, other)
    with pytest.raises(ValueError, match="no signature by the log key"):
        CHECKER.open_checkpoint(signed, other)


def test_wrong_name_is_rejected(signed: bytes, log_key: Ed25519PrivateKey) -> None:
    with pytest.raises(NoteError, match="not signed by"):
        open_note(signed, vkey("someone.else/log", log_key.public_key()))


def test_corrupted_signature_is_rejected(signed: bytes, log_vkey: str) -> None:
    body, _, line = signed.decode().rpartition("\n\n")
    name, blob = line.removeprefix("\u2014 ").split(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[10] ^= 1
    corrupt = f"{body}\n\n\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n".encode()
    with pytest.raises(NoteError, match="does not verify"):
        open_note(corrupt, log_vkey)


def test_other_signatures_are_ignored(signed: bytes, log_vkey: str) -> None:
    witness = Ed25519PrivateKey.generate()
    cosigned = sign_note(signed.partition(b"\n\n")[0] + b"\n", "witness.example/w1", witness)
    both = cosigned + signed.partition(b"\n\n")[2]
    assert open_checkpoint(both, log_vkey) == (ORIGIN, 1234, ROOT)
    with pytest.raises(NoteError, match="not signed by"):
        open_note(cosigned, log_vkey)


def test_checkpoint_origin_must_be_key_name(log_key: Ed25519PrivateKey) -> None:
    note = sign_note(format_checkpoint("other.example/log", 1, ROOT), ORIGIN, log_key)
    key = vkey(ORIGIN, log_key.public_key())
    assert open_note(note, key).startswith("other.example/log\n")
    with pytest.raises(NoteError, match="origin differs"):
        open_checkpoint(note, key)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda n: n.replace(b"\n\n", b"\n"), "no blank line"),
        (lambda n: n.partition(b"\n\n")[0] + b"\n\n", "signature lines"),
        (lambda n: n + b"\n", "signature lines"),
        (lambda n: n + b"garbage\n", "malformed signature line"),
        (lambda n: n[:-1], "end with a newline"),
        (lambda n: n.replace("\u2014".encode(), b"-"), "malformed signature line"),
        (lambda n: n.replace(b"\n\n", b"\n\r\n"), "control character"),
        (lambda n: n.replace(b"1234", b"12\xff4"), "not valid UTF-8"),
        (lambda n: n[:-3] + b"!=\n", "not valid base64"),
        (lambda n: n + n.rpartition(b"\n\n")[2] * 64, "signature lines"),
        (
            lambda n: n.replace(ORIGIN.encode() + b" ", ORIGIN.encode() + b"  "),
            "malformed signature",
        ),
    ],
)
def test_malformed_notes_are_rejected(
    signed: bytes, log_vkey: str, mangle: Callable[[bytes], bytes], message: str
) -> None:
    with pytest.raises(NoteError, match=message):
        open_note(mangle(signed), log_vkey)


def test_every_substring_of_a_vkey_is_rejected() -> None:
    # As golang.org/x/mod's TestNewVerifier: no truncation of a key may parse.
    for start in range(len(GO_VKEY)):
        for end in range(start + 1, len(GO_VKEY) + 1):
            if (start, end) != (0, len(GO_VKEY)):
                with pytest.raises(NoteError):
                    parse_vkey(GO_VKEY[start:end])


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong hash
        "PeterNeumann+c74f20a3+AhpC2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong type
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space
        "PeterNeumann+c74f20a3",
        "",
    ],
)
def test_bad_vkeys_are_rejected(bad: str) -> None:
    with pytest.raises(NoteError):
        parse_vkey(bad)


# ---------------------------------------------------------------- checkpoint text
def test_format_checkpoint_exact_text() -> None:
    root = bytes(range(32))
    text = format_checkpoint("example.com/log", 20852163, root, ["ext one"])
    root_line = b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    assert text == b"example.com/log\n20852163\n" + root_line + b"\next one\n"
    assert parse_checkpoint(text) == ("example.com/log", 20852163, root)
    assert format_checkpoint("example.com/log", 0, root).split(b"\n")[1] == b"0"


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("has space", 1, ROOT, ()),
        ("has+plus", 1, ROOT, ()),
        ("ok", -1, ROOT, ()),
        ("ok", 1, ROOT[:31], ()),
        ("ok", 1, ROOT, ("",)),
        ("ok", 1, ROOT, ("two\nlines",)),
    ],
)
def test_format_checkpoint_refuses_bad_fields(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):
        format_checkpoint(origin, size, root, extensions)


@pytest.mark.parametrize(
    "body",
    [
        "o\n12\n",  # no root line
        "o\n012\n" + base64.b64encode(ROOT).decode() + "\n",  # leading zero
        "o\n-1\n" + base64.b64encode(ROOT).decode() + "\n",
        "o\n\uff11\n" + base64.b64encode(ROOT).decode() + "\n",  # fullwidth digit
        "o\n1\n" + base64.b64encode(ROOT[:16]).decode() + "\n",  # short root
        "o\n1\n" + base64.b64encode(ROOT).decode() + "\n\n",  # empty extension line
        "o\n1\n" + base64.b64encode(ROOT).decode(),  # no final newline
        "\n1\n" + base64.b64encode(ROOT).decode() + "\n",  # empty origin
    ],
)
def test_parse_checkpoint_rejects_malformed_text(body: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(body)


def test_sign_note_refuses_text_without_final_newline(log_key: Ed25519PrivateKey) -> None:
    with pytest.raises(NoteError, match="newline"):
        sign_note(b"no newline", ORIGIN, log_key)
    with pytest.raises(NoteError, match="invalid key name"):
        sign_note(b"text\n", "bad name", log_key)
