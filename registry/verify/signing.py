"""Verifier signatures (DESIGN.md §7), pure: statement bytes, key ids, signing, checking.

The bytes signed are the RFC 8785 (JCS) encoding of the statement object; the signature
is Ed25519, unpadded base64url; a key's id is the first 8 bytes of SHA-256 of its
SubjectPublicKeyInfo DER, as 16 lowercase hex characters. Used by the registry to check
and by `registry verifier sign` on the verifier's own machine, offline."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_der_public_key,
    load_pem_private_key,
    load_pem_public_key,
)


class KeyFormatError(ValueError):
    """Not an Ed25519 key in a form we read (PEM, base64 SPKI or raw 32 bytes)."""


def statement_bytes(statement: dict[str, Any]) -> bytes:
    return rfc8785.dumps(statement)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def spki(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def kid(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(spki(public_key)).digest()[:8].hex()


def raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key pasted as PEM, base64 of the SPKI DER, or base64url of the raw 32 bytes
    (a JWK's `x`, what WebCrypto exports)."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key: Any = load_pem_public_key(text.encode())
        else:
            data = from_b64url(text.replace("+", "-").replace("/", "_").rstrip("="))
            key = (
                Ed25519PublicKey.from_public_bytes(data)
                if len(data) == 32
                else load_der_public_key(data)
            )
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(str(exc)) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFormatError("not an Ed25519 key")
    return key


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError("not an Ed25519 private key")
    return key


def private_pem(key: Ed25519PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: for a file only its owner can read."""
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def sign(statement: dict[str, Any], key: Ed25519PrivateKey) -> str:
    return b64url(key.sign(statement_bytes(statement)))


def verify(statement: dict[str, Any], signature: str, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(from_b64url(signature), statement_bytes(statement))
    except (InvalidSignature, ValueError):
        return False
    return True
