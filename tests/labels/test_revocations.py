"""The signed revocation list and the trust list's JWKs (DESIGN.md §5)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from registry.labels.revocations import (
    KeyStatus,
    Revocation,
    TrustedKey,
    TrustListInvalid,
    jwk,
    sign_revocations,
    trust_from_jwks,
    verification_keys,
    verify_revocations,
)
from registry.labels.token import Reason, TokenInvalid, encode_deterministic, key_id, sign1

NOW = 1_780_000_000
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"label key 1").digest())
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"label key 2").digest())
TRUST = {key_id(KEY.public_key()): KEY.public_key()}
ENTRIES = [
    Revocation("PTT-0000123", NOW - 3600, "approval_revoked"),
    Revocation("PTT-0000124", NOW - 60, "mass_balance"),
]


def test_round_trip() -> None:
    assert verify_revocations(sign_revocations(ENTRIES, "VN-PTT", NOW, KEY), TRUST) == ENTRIES
    assert verify_revocations(sign_revocations([], "VN-PTT", NOW, KEY), TRUST) == []


def test_payload_is_the_contract_map() -> None:
    message = cbor2.loads(sign_revocations(ENTRIES, "VN-PTT", NOW, KEY))
    assert message.tag == 18
    payload = message.value[2]
    assert payload == encode_deterministic(
        {
            1: "VN-PTT",
            6: NOW,
            -70002: [
                ["PTT-0000123", NOW - 3600, "approval_revoked"],
                ["PTT-0000124", NOW - 60, "mass_balance"],
            ],
        }
    )
    assert payload[:1] == b"\xa3" and payload[1:2] == b"\x01"


def test_same_list_same_bytes() -> None:
    assert sign_revocations(ENTRIES, "VN-PTT", NOW, KEY) == sign_revocations(
        iter(ENTRIES), "VN-PTT", NOW, KEY
    )


def test_tampered_list_is_refused() -> None:
    message = bytearray(sign_revocations(ENTRIES, "VN-PTT", NOW, KEY))
    message[message.index(b"PTT-0000124") + 10] ^= 0x01
    with pytest.raises(TokenInvalid) as caught:
        verify_revocations(bytes(message), TRUST)
    assert caught.value.reason is Reason.BAD_SIGNATURE


def test_list_from_another_key_is_refused() -> None:
    with pytest.raises(TokenInvalid) as caught:
        verify_revocations(sign_revocations(ENTRIES, "VN-PTT", NOW, OTHER_KEY), TRUST)
    assert caught.value.reason is Reason.UNKNOWN_KEY


@pytest.mark.parametrize(
    "payload",
    [
        {1: "VN-PTT", 6: NOW},
        {1: "VN-PTT", 6: NOW, -70002: {"PTT-1": NOW}},
        {1: "VN-PTT", 6: NOW, -70002: [["PTT-1", NOW]]},
        {1: "VN-PTT", 6: NOW, -70002: [["ptt-1", NOW, "x"]]},
        {1: "VN-PTT", 6: NOW, -70002: [["PTT-1", "yesterday", "x"]]},
        {1: "VN-PTT", 6: NOW, -70002: [["PTT-1", NOW, ""]]},
        [1, 2],
    ],
)
def test_malformed_lists_are_refused(payload: Any) -> None:
    with pytest.raises(TokenInvalid) as caught:
        verify_revocations(sign1(encode_deterministic(payload), KEY), TRUST)
    assert caught.value.reason is Reason.BAD_CLAIMS


@pytest.mark.parametrize(
    "entry", [("ptt-1", NOW, "x"), ("PTT-1", -1, "x"), ("PTT-1", True, "x"), ("PTT-1", NOW, "")]
)
def test_revocations_are_checked_when_made(entry: tuple[Any, Any, Any]) -> None:
    with pytest.raises(ValueError):
        Revocation(*entry)


# ---------------------------------------------------------------- JWKs and the trust list
def test_jwk_fields() -> None:
    key = jwk(KEY.public_key(), KeyStatus.ACTIVE, NOW, NOW + 86400)
    spki = KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    raw = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert key == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
        "kid": hashlib.sha256(spki).digest()[:8].hex(),
        "use": "sig",
        "status": "active",
        "nbf": NOW,
        "exp": NOW + 86400,
    }
    assert len(key["kid"]) == 16 and len(key["x"]) == 43


def test_jwk_refuses_unknown_status() -> None:
    with pytest.raises(ValueError):
        jwk(KEY.public_key(), "lost", NOW, NOW)  # type: ignore[arg-type]


def jwks(*keys: dict[str, Any]) -> dict[str, Any]:
    return {"keys": list(keys)}


def test_trust_list_round_trip() -> None:
    active = jwk(KEY.public_key(), KeyStatus.ACTIVE, NOW, NOW + 1)
    compromised = jwk(OTHER_KEY.public_key(), KeyStatus.COMPROMISED, NOW, NOW + 1)
    other_type = {"kty": "EC", "crv": "P-256", "kid": "x", "x": "", "y": ""}
    trusted = trust_from_jwks(jwks(active, other_type, compromised))
    assert {kid.hex(): key.status for kid, key in trusted.items()} == {
        active["kid"]: KeyStatus.ACTIVE,
        compromised["kid"]: KeyStatus.COMPROMISED,
    }
    assert isinstance(trusted[key_id(KEY.public_key())], TrustedKey)


def test_compromised_keys_verify_nothing() -> None:
    trusted = trust_from_jwks(
        jwks(
            jwk(KEY.public_key(), KeyStatus.RETIRED, NOW, NOW + 1),
            jwk(OTHER_KEY.public_key(), KeyStatus.COMPROMISED, NOW, NOW + 1),
        )
    )
    keys = verification_keys(trusted)
    assert list(keys) == [key_id(KEY.public_key())]
    with pytest.raises(TokenInvalid) as caught:
        verify_revocations(sign_revocations(ENTRIES, "VN-PTT", NOW, OTHER_KEY), keys)
    assert caught.value.reason is Reason.UNKNOWN_KEY


@pytest.mark.parametrize(
    "spoil",
    [
        lambda k: {**k, "kid": "00" * 8},
        lambda k: {**k, "kid": k["kid"].upper()},
        lambda k: {**k, "status": "lost"},
        lambda k: {k2: v for k2, v in k.items() if k2 != "status"},
        lambda k: {**k, "x": "AAAA"},
        lambda k: {**k, "x": None},
    ],
)
def test_unreadable_trust_lists(spoil: Any) -> None:
    with pytest.raises(TrustListInvalid):
        trust_from_jwks(jwks(spoil(jwk(KEY.public_key(), KeyStatus.ACTIVE, NOW, NOW + 1))))


@pytest.mark.parametrize("document", [{}, {"keys": {}}, {"keys": "x"}])
def test_a_jwk_set_needs_a_key_list(document: dict[str, Any]) -> None:
    with pytest.raises(TrustListInvalid):
        trust_from_jwks(document)
