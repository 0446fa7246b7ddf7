"""C2SP signed notes and tlog checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).

The checkpoint is the one artefact an outside auditor trusts us through, so this module
is strict both ways: it refuses to produce a note another implementation could read
differently, and it rejects any note that is not byte-for-byte well formed. Ed25519 only
(signature type 0x01), as DESIGN §6 fixes.

A signed note is its text (ending in a newline), one blank line, then signature lines
``— <key name> base64(key ID || signature)``; the signature covers the text including its
final newline. A checkpoint's text is ``origin\\nsize\\nbase64(root)\\n`` plus optional
extension lines, signed by a key named after the origin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from registry.ledger.rfc9162 import HASH_SIZE

ED25519 = 0x01
"""Signature type byte for Ed25519 in signed-note key IDs and verifier keys."""

MAX_SIGNATURES = 64
"""Signature lines accepted per note; the spec asks for at least 16 and a bound."""

_DASH = "\u2014 "  # em dash, space: every signature line starts with these
_DECIMAL = re.compile(r"0|[1-9][0-9]*")  # ASCII only; no leading zeros


class NoteError(ValueError):
    """A note, checkpoint or verifier key is malformed, or its signature does not verify."""


class VerifierKey(NamedTuple):
    """A parsed ``name+hash+base64`` verifier key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


class Checkpoint(NamedTuple):
    """The three mandatory lines of a tlog checkpoint."""

    origin: str
    size: int
    root: bytes


# ---------------------------------------------------------------- keys
def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def vkey(name: str, public_key: Ed25519PublicKey | bytes) -> str:
    """The verifier key string ``<name>+<key ID hex>+base64(0x01 || public key)``."""
    _check_name(name)
    raw = raw_public(public_key)
    blob = base64.b64encode(bytes([ED25519]) + raw).decode()
    return f"{name}+{key_id(name, raw).hex()}+{blob}"


def parse_vkey(vkey_str: str) -> VerifierKey:
    """Parse and self-check a verifier key (surrounding whitespace, e.g. a final newline, ok)."""
    parts = vkey_str.strip().split("+", 2)  # base64 may hold "+", names and hex may not
    if len(parts) != 3:
        raise NoteError("verifier key is not name+hash+key")
    name, hex_id, blob = parts
    _check_name(name)
    raw = _b64decode(blob, "verifier key")
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError("verifier key is not an Ed25519 signed-note key")
    kid = key_id(name, raw[1:])
    if len(hex_id) != 8 or hex_id.lower() != kid.hex():
        raise NoteError("verifier key hash does not match its name and key")
    return VerifierKey(name, kid, Ed25519PublicKey.from_public_bytes(raw[1:]))


# ---------------------------------------------------------------- notes
def sign_note(body: bytes, name: str, private_key: Ed25519PrivateKey) -> bytes:
    """Sign note text ``body`` (UTF-8, ending in a newline) as key ``name``."""
    _check_text(_decode(body))
    _check_name(name)
    raw = raw_public(private_key.public_key())
    blob = base64.b64encode(key_id(name, raw) + private_key.sign(body)).decode()
    return body + b"\n" + f"{_DASH}{name} {blob}\n".encode()


def open_note(note: bytes, vkey_str: str) -> str:
    """Verify ``note`` against one trusted key and return its text (final newline included).

    Per the spec, signatures by other keys are ignored, a failing signature by the
    trusted key rejects the note, and so does the absence of any signature by it.
    """
    key = parse_vkey(vkey_str)
    text = _decode(note)
    _check_text(text)
    cut = text.rfind("\n\n")  # the text is separated by the LAST blank line
    if cut < 0:
        raise NoteError("note has no blank line before its signatures")
    body, lines = text[: cut + 1], text[cut + 2 :].split("\n")[:-1]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note must carry 1 to {MAX_SIGNATURES} signature lines")
    verified = False
    for line in lines:
        verified |= _verify_line(line, key, body.encode())
    if not verified:
        raise NoteError(f"note is not signed by {key.name}")
    return body


def _verify_line(line: str, key: VerifierKey, body: bytes) -> bool:
    """Check one signature line; True if it is the trusted key's and verifies."""
    if not line.startswith(_DASH):
        raise NoteError(f"malformed signature line {line!r}")
    parts = line[len(_DASH) :].split(" ")
    if len(parts) != 2:
        raise NoteError(f"malformed signature line {line!r}")
    name, blob = parts
    _check_name(name)
    raw = _b64decode(blob, "signature")
    if len(raw) < 5:
        raise NoteError("signature too short")
    if name != key.name or raw[:4] != key.key_id:
        return False  # someone else's signature (e.g. a witness): ignore
    try:
        key.public_key.verify(raw[4:], body)
    except InvalidSignature:
        raise NoteError(f"signature by {name} does not verify") from None
    return True


# ---------------------------------------------------------------- checkpoints
def format_checkpoint(origin: str, size: int, root: bytes, extensions: Iterable[str] = ()) -> bytes:
    """The checkpoint note text for a tree head (unsigned; pass it to ``sign_note``)."""
    _check_name(origin)  # the origin doubles as the signing key's name
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"tree size must be a non-negative integer, got {size!r}")
    if len(root) != HASH_SIZE:
        raise ValueError(f"root must be a {HASH_SIZE}-byte hash")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    text = "".join(line + "\n" for line in lines)
    _check_text(text)
    if any(not line or "\n" in line for line in lines[3:]):
        raise ValueError("extension lines must be non-empty single lines")
    return text.encode()


def parse_checkpoint(body: str | bytes) -> Checkpoint:
    """Parse verified checkpoint text into (origin, size, root); extension lines are skipped."""
    text = _decode(body) if isinstance(body, bytes) else body
    _check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise NoteError("checkpoint needs origin, size and root lines, none of them empty")
    origin, size, root_b64 = lines[:3]
    if not _DECIMAL.fullmatch(size):
        raise NoteError(f"checkpoint size {size!r} is not a plain decimal")
    root = _b64decode(root_b64, "checkpoint root")
    if len(root) != HASH_SIZE:
        raise NoteError(f"checkpoint root is not a {HASH_SIZE}-byte hash")
    return Checkpoint(origin, int(size), root)


def open_checkpoint(note: bytes, vkey_str: str) -> Checkpoint:
    """Verify a signed checkpoint and parse it, insisting its origin is the key's name."""
    checkpoint = parse_checkpoint(open_note(note, vkey_str))
    if checkpoint.origin != parse_vkey(vkey_str).name:
        raise NoteError("checkpoint origin differs from the key name")
    return checkpoint


# ---------------------------------------------------------------- helpers
def _check_name(name: str) -> None:
    """Key names (and so origins): non-empty, no Unicode space, no '+', no control chars."""
    if not name or any(c.isspace() or c == "+" or c < " " for c in name):
        raise NoteError(f"invalid key name {name!r}")


def _check_text(text: str) -> None:
    """Note text ends in a newline and holds no other ASCII control character."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(c < " " and c != "\n" for c in text):
        raise NoteError("note contains a control character")


def _decode(data: bytes) -> str:
    """Notes MUST be valid UTF-8; anything else is malformed, not an encoding accident."""
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise NoteError("note is not valid UTF-8") from None


def _b64decode(blob: str, what: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4): no stray characters, canonical padding."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode() != blob:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def raw_public(key: Ed25519PublicKey | bytes) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    if isinstance(key, bytes):
        if len(key) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return key
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
