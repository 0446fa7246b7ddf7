"""The signed revocation list and the trust list's keys (DESIGN.md §5), pure.

The revocation list is a COSE_Sign1 made exactly like a label token (`token.sign1`) whose
payload is `{1: iss, 6: iat, -70002: [[serial, revoked_at, reason-code], ...]}`; it is
served as raw bytes, not base64url. The trust list is a JWK Set whose keys carry a
`status` (`active`, `retired`, `compromised`) and `nbf`/`exp`; a key's `kid` is the hex of
the same 8 bytes that label tokens name in their protected header."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.labels.gs1 import is_valid_code
from registry.labels.token import (
    CLAIM_IAT,
    CLAIM_ISS,
    Reason,
    TokenInvalid,
    encode_deterministic,
    key_id,
    open_sign1,
    sign1,
)
from registry.verify import signing

CLAIM_REVOCATIONS = -70002


@dataclass(frozen=True, slots=True)
class Revocation:
    """One line of the list: the label serial, when it was revoked (Unix s), and a reason
    code (a short machine word such as `approval_revoked`, never free text about people)."""

    serial: str
    revoked_at: int
    reason: str

    def __post_init__(self) -> None:
        if not (isinstance(self.serial, str) and is_valid_code(self.serial)):
            raise ValueError(f"serial {self.serial!r} is not 1–20 of A-Z 0-9 -")
        if not (type(self.revoked_at) is int and self.revoked_at >= 0):
            raise ValueError(f"revoked_at {self.revoked_at!r} is not Unix seconds")
        if not (isinstance(self.reason, str) and self.reason):
            raise ValueError("a revocation needs a reason code")


def sign_revocations(
    revocations: Iterable[Revocation], iss: str, iat: int, private_key: Ed25519PrivateKey
) -> bytes:
    """The COSE_Sign1 bytes of the list, entries in the order given."""
    rows = [[r.serial, r.revoked_at, r.reason] for r in revocations]
    payload = {CLAIM_ISS: iss, CLAIM_IAT: iat, CLAIM_REVOCATIONS: rows}
    return sign1(encode_deterministic(payload), private_key)


def verify_revocations(message: bytes, trust: Mapping[bytes, Ed25519PublicKey]) -> list[Revocation]:
    """The entries of a revocation list signed by a trusted key. Raises TokenInvalid."""
    payload = open_sign1(message, trust)
    rows = payload.get(CLAIM_REVOCATIONS) if isinstance(payload, Mapping) else None
    if not (isinstance(rows, list) and all(_is_row(row) for row in rows)):
        raise TokenInvalid(Reason.BAD_CLAIMS, "-70002 is not an array of 3-element arrays")
    try:
        return [Revocation(*row) for row in rows]
    except ValueError as exc:
        raise TokenInvalid(Reason.BAD_CLAIMS, str(exc)) from exc


def _is_row(row: object) -> bool:
    return isinstance(row, list) and len(row) == 3


# ---------------------------------------------------------------- trust list
class KeyStatus(StrEnum):
    ACTIVE = "active"  # signs new labels
    RETIRED = "retired"  # signs no more, still verifies the unexpired labels it signed
    COMPROMISED = "compromised"  # listed so that clients know it, trusted for nothing


class TrustedKey(NamedTuple):
    public_key: Ed25519PublicKey
    status: KeyStatus


class TrustListInvalid(ValueError):
    """A JWK Set that cannot be read as the PTT1 trust list."""


def jwk(public_key: Ed25519PublicKey, status: KeyStatus, nbf: int, exp: int) -> dict[str, Any]:
    """One key of the trust list (RFC 7517, RFC 8037 OKP), with its status and validity."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": signing.b64url(signing.raw(public_key)),
        "kid": signing.kid(public_key),
        "use": "sig",
        "status": str(KeyStatus(status)),
        "nbf": nbf,
        "exp": exp,
    }


def trust_from_jwks(jwks: Mapping[str, Any]) -> dict[bytes, TrustedKey]:
    """The Ed25519 keys of a JWK Set by kid bytes. Keys of other types are skipped, as a
    JWK Set may hold them; a kid that is not the key's own, or a missing or unknown status,
    makes the whole list unreadable (TrustListInvalid)."""
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise TrustListInvalid("a JWK Set needs a list of keys")
    return dict(
        _trusted(entry)
        for entry in keys
        if isinstance(entry, Mapping) and (entry.get("kty"), entry.get("crv")) == ("OKP", "Ed25519")
    )


def _trusted(entry: Mapping[str, Any]) -> tuple[bytes, TrustedKey]:
    try:
        public_key = Ed25519PublicKey.from_public_bytes(signing.from_b64url(entry["x"]))
        status = KeyStatus(entry["status"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TrustListInvalid(f"unreadable key {entry.get('kid')!r}: {exc}") from exc
    kid = key_id(public_key)
    if entry.get("kid") != kid.hex():
        raise TrustListInvalid(f"kid {entry.get('kid')!r} is not SHA-256(SPKI)[:8] of its key")
    return kid, TrustedKey(public_key, status)


def verification_keys(trusted: Mapping[bytes, TrustedKey]) -> dict[bytes, Ed25519PublicKey]:
    """The keys that may verify labels and revocation lists: active and retired ones
    (labels signed before a rotation stay valid), never compromised ones."""
    return {
        kid: key.public_key
        for kid, key in trusted.items()
        if key.status is not KeyStatus.COMPROMISED
    }
