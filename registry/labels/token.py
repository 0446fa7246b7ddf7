"""PTT1 label tokens and label URLs (DESIGN.md §5), pure: no I/O, no clock, no database.

A token is the unpadded base64url of a COSE_Sign1 (RFC 9052, CBOR tag 18) whose protected
header is `{1: -8, 4: kid}` (EdDSA, the key id), whose unprotected header is empty and whose
payload is the deterministic CBOR (RFC 8949 §4.2.1) of the claims; the Ed25519 signature
covers `["Signature1", protected, h'', payload]`. A token is accepted only in its one
deterministic encoding, base64url included, so no two strings or byte strings stand for the
same signed label.

The label URL carries the token as `?le=` after either the GS1 Digital Link path
`/01/{GTIN-14}/10/{LOT}/21/{SERIAL}` or the short path `/l/{SERIAL}`; `check_url` applies
every acceptance rule of §5 to such a URL. `open_sign1` and `encode_deterministic` are
shared with the revocation list, which is signed the same way."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Container, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.labels.gs1 import is_valid_code, is_valid_gtin14
from registry.verify import signing

COSE_SIGN1_TAG = 18
ALG_EDDSA = -8
HEADER_ALG = 1
HEADER_KID = 4
CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_LABEL = -70001
URL_MAX_LENGTH = 330
TOKEN_MAX_LENGTH = 1024
_KID_LENGTH = 8
_SHORT_PATH = re.compile(r"/l/([^/]+)")
_GS1_PATH = re.compile(r"/01/([^/]+)/10/([^/]+)/21/([^/]+)")


class Reason(StrEnum):
    """Why a token, URL or signed list is refused."""

    BAD_ENCODING = "bad_encoding"  # not base64url, not CBOR, not COSE_Sign1, not deterministic
    BAD_HEADER = "bad_header"  # protected header other than {1: -8, 4: kid}
    UNKNOWN_KEY = "unknown_key"  # kid not in the trust list
    BAD_SIGNATURE = "bad_signature"
    BAD_CLAIMS = "bad_claims"  # claims missing, mistyped or outside their ranges
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    BAD_URL = "bad_url"  # neither URL form, bad codes or GTIN, no token, over 330 chars
    URL_MISMATCH = "url_mismatch"  # serial, lot or GTIN in the URL differ from the token


class TokenInvalid(ValueError):
    """The token (or the URL carrying it, or a signed list) must be refused, for `reason`."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _require(condition: bool, reason: Reason, detail: str) -> None:
    if not condition:
        raise TokenInvalid(reason, detail)


def _is_uint(value: object) -> bool:
    return type(value) is int and value >= 0  # bool is an int subclass: refused here


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


@dataclass(frozen=True, slots=True)
class LabelClaims:
    """What a label token states: the payload of DESIGN.md §5 as typed fields.

    `reduction_permille` is the reduction against the baseline in 0.1 % units (253 = 25.3 %);
    `iat` and `exp` are Unix seconds. Construction checks every field, so a decoded token
    and a label about to be signed are held to the same rules."""

    serial: str
    lot: str
    gtin: str | None
    g_co2e_per_kg: int
    reduction_permille: int
    methodology: str
    verifier: str
    log_index: int
    iss: str
    iat: int
    exp: int

    def __post_init__(self) -> None:
        problems = [
            name
            for name, ok in (
                ("serial", isinstance(self.serial, str) and is_valid_code(self.serial)),
                ("lot", isinstance(self.lot, str) and is_valid_code(self.lot)),
                ("gtin", self.gtin is None or _valid_gtin14(self.gtin)),
                ("g_co2e_per_kg", _is_uint(self.g_co2e_per_kg)),
                ("reduction_permille", _is_uint(self.reduction_permille)),
                ("methodology", _is_text(self.methodology)),
                ("verifier", _is_text(self.verifier)),
                ("log_index", _is_uint(self.log_index)),
                ("iss", _is_text(self.iss)),
                ("iat", _is_uint(self.iat)),
                ("exp", _is_uint(self.exp) and _is_uint(self.iat) and self.exp >= self.iat),
            )
            if not ok
        ]
        if problems:
            raise ValueError(f"invalid label claims: {', '.join(problems)}")


def _valid_gtin14(value: object) -> bool:
    return isinstance(value, str) and is_valid_gtin14(value)


# ---------------------------------------------------------------- deterministic CBOR, COSE
def encode_deterministic(value: object) -> bytes:
    """RFC 8949 §4.2.1 core deterministic encoding of ints, texts, bytes, arrays and maps.

    cbor2 always writes ints and lengths in their shortest form and never uses indefinite
    lengths, so only map order needs care: its `canonical=True` sorts keys length-first
    (the RFC 7049 §3.9 rule), whereas §4.2.1 sorts them by their encoded bytes. The two
    agree on the PTT1 keys but not in general (24 sorts before -1 in §4.2.1, after it in
    RFC 7049), so maps are rebuilt in §4.2.1 order and cbor2 writes them as they come.
    Floats, tags and other types are refused: nothing signed here needs them."""
    return cbor2.dumps(_in_deterministic_order(value))


def _in_deterministic_order(value: object) -> object:
    """Decoded values come as they were read: cbor2 gives tuples and its own frozendict for
    arrays and maps inside a tag, lists and dicts elsewhere."""
    if isinstance(value, Mapping):
        encoded = sorted((_encoded_key(k), k) for k in value)
        return {k: _in_deterministic_order(value[k]) for _, k in encoded}
    if isinstance(value, list | tuple):
        return [_in_deterministic_order(item) for item in value]
    if type(value) in (int, str, bytes):
        return value
    raise TypeError(f"{type(value).__name__} has no place in a signed PTT1 structure")


@lru_cache(maxsize=256, typed=True)  # typed: True must not pass as the key 1
def _encoded_key(key: object) -> bytes:
    """A map key's encoding, to sort by; the same few keys recur in every token."""
    if type(key) not in (int, str):
        raise TypeError(f"map key {key!r} is neither an int nor a text")
    return cbor2.dumps(key)


def key_id(public_key: Ed25519PublicKey) -> bytes:
    """The 8-byte kid: SHA-256 of the SubjectPublicKeyInfo DER, cut to 8 bytes (the same
    key id as verifiers' keys, whose hex form `registry.verify.signing.kid` computes)."""
    return bytes.fromhex(signing.kid(public_key))


def _envelope(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def _to_be_signed(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign1(payload: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """A COSE_Sign1 of `payload` with EdDSA, the key's kid protected and no external AAD."""
    return _sign1(_protected_header(private_key), payload, private_key)


def _sign1(protected: bytes, payload: bytes, private_key: Ed25519PrivateKey) -> bytes:
    signature = private_key.sign(_to_be_signed(protected, payload))
    return _envelope(protected, payload, signature)


@lru_cache(maxsize=8)
def _protected_header(private_key: Ed25519PrivateKey) -> bytes:
    """`{1: -8, 4: kid}`, encoded once per key: thousands of unit tokens share it."""
    return protected_header(private_key.public_key())


def protected_header(public_key: Ed25519PublicKey) -> bytes:
    """The encoded protected header `{1: -8, 4: kid}` of messages signed with the key."""
    return encode_deterministic({HEADER_ALG: ALG_EDDSA, HEADER_KID: key_id(public_key)})


def _decode(data: bytes) -> Any:
    try:
        return cbor2.loads(data)
    except (cbor2.CBORError, ValueError, TypeError, OverflowError) as exc:
        raise TokenInvalid(Reason.BAD_ENCODING, "not CBOR") from exc


def _decode_deterministic(data: bytes, what: str) -> Any:
    """Decode, and refuse any encoding but the deterministic one (trailing bytes, duplicate
    keys, unsorted maps, long-form ints, indefinite lengths, floats, tags)."""
    value = _decode(data)
    try:
        canonical = encode_deterministic(value)
    except TypeError as exc:
        raise TokenInvalid(Reason.BAD_ENCODING, f"{what}: {exc}") from exc
    _require(canonical == data, Reason.BAD_ENCODING, f"{what} is not deterministic CBOR")
    return value


def _parts_of_sign1(message: bytes) -> tuple[bytes, bytes, bytes]:
    envelope = _decode(message)
    _require(
        isinstance(envelope, cbor2.CBORTag)
        and envelope.tag == COSE_SIGN1_TAG
        and isinstance(envelope.value, list | tuple)
        and len(envelope.value) == 4,
        Reason.BAD_ENCODING,
        "not a tagged COSE_Sign1",
    )
    protected, _unprotected, payload, signature = envelope.value
    _require(
        all(isinstance(part, bytes) for part in (protected, payload, signature))
        and _envelope(protected, payload, signature) == message,
        Reason.BAD_ENCODING,
        "COSE_Sign1 is not [protected, {}, payload, signature] in deterministic CBOR",
    )
    return protected, payload, signature


def _kid_of(header: Any) -> bytes:
    """The kid of a protected header that is exactly `{1: -8, 4: kid}`: a verifier that
    cannot read every header parameter must refuse the message (RFC 9052 §3.1)."""
    kid = header.get(HEADER_KID) if isinstance(header, Mapping) else None
    if not (
        isinstance(kid, bytes)
        and len(kid) == _KID_LENGTH
        and header == {HEADER_ALG: ALG_EDDSA, HEADER_KID: kid}
    ):
        raise TokenInvalid(Reason.BAD_HEADER, "protected header is not {1: -8, 4: kid}")
    return kid


def open_sign1(message: bytes, trust: Mapping[bytes, Ed25519PublicKey]) -> Any:
    """Check a COSE_Sign1 made by `sign1` against the trust list (kid → public key) and
    return its decoded payload. Raises TokenInvalid."""
    protected, payload, signature = _parts_of_sign1(message)
    kid = _kid_of(_decode_deterministic(protected, "protected header"))
    public_key = trust.get(kid)
    if public_key is None:
        raise TokenInvalid(Reason.UNKNOWN_KEY, f"kid {kid.hex()} is not in the trust list")
    try:
        public_key.verify(signature, _to_be_signed(protected, payload))
    except InvalidSignature as exc:
        raise TokenInvalid(Reason.BAD_SIGNATURE, "signature does not verify") from exc
    return _decode_deterministic(payload, "payload")


def _b64url_decode_strict(text: str) -> bytes:
    """Unpadded base64url, refusing any other spelling of the same bytes (padding, stray
    characters, non-zero trailing bits) so that every changed character changes the bytes."""
    try:
        data = signing.from_b64url(text)
    except ValueError as exc:
        raise TokenInvalid(Reason.BAD_ENCODING, "not base64url") from exc
    _require(signing.b64url(data) == text, Reason.BAD_ENCODING, "not canonical base64url")
    return data


# ---------------------------------------------------------------- label tokens
def _payload(claims: LabelClaims) -> dict[int, object]:
    label: dict[int, object] = {1: claims.serial, 2: claims.lot}
    if claims.gtin is not None:
        label[3] = claims.gtin
    label |= {
        6: claims.g_co2e_per_kg,
        7: claims.reduction_permille,
        8: claims.methodology,
        9: claims.verifier,
        11: claims.log_index,
    }
    return {CLAIM_ISS: claims.iss, CLAIM_IAT: claims.iat, CLAIM_EXP: claims.exp, CLAIM_LABEL: label}


def _claims(payload: Any) -> LabelClaims:
    label = payload.get(CLAIM_LABEL) if isinstance(payload, Mapping) else None
    if not isinstance(label, Mapping):
        raise TokenInvalid(Reason.BAD_CLAIMS, "payload has no label map (-70001)")
    try:
        return LabelClaims(
            serial=label[1],
            lot=label[2],
            gtin=label.get(3),
            g_co2e_per_kg=label[6],
            reduction_permille=label[7],
            methodology=label[8],
            verifier=label[9],
            log_index=label[11],
            iss=payload[CLAIM_ISS],
            iat=payload[CLAIM_IAT],
            exp=payload[CLAIM_EXP],
        )
    except KeyError as exc:
        raise TokenInvalid(Reason.BAD_CLAIMS, f"claim {exc} is missing") from exc
    except ValueError as exc:
        raise TokenInvalid(Reason.BAD_CLAIMS, str(exc)) from exc


def sign(claims: LabelClaims, private_key: Ed25519PrivateKey) -> str:
    """The PTT1 token of `claims`: the same claims and key always give the same token."""
    return signing.b64url(sign1(encode_deterministic(_payload(claims)), private_key))


@dataclass(frozen=True, slots=True)
class TokenTemplate:
    """The bytes that all tokens of one issuance share, worked out once: the protected
    header and the payload around the serial. Tokens of the same claims but the serial
    then cost the signature and a few concatenations instead of a claims check and a
    deterministic encoding each; `sign` gives byte for byte the token that `sign` of the
    module gives for the claims with that serial.

    In §4.2.1 order the label map (key -70001, a negative int) is the payload's last entry
    and the serial (key 1) the label map's first, so a payload is `head`, the serial's
    CBOR, then `tail` (the label map's other entries). `of` checks that split against the
    claims' own encoding. Plain bytes, so that it travels to signing processes."""

    protected: bytes
    head: bytes
    tail: bytes

    @classmethod
    def of(cls, claims: LabelClaims, public_key: Ed25519PublicKey) -> TokenTemplate:
        payload = _payload(claims)
        whole = encode_deterministic(payload)
        label = payload[CLAIM_LABEL]
        assert isinstance(label, dict)
        serial = cbor2.dumps(claims.serial)
        # The label map's other entries, without the map's one-byte head (< 24 entries).
        tail = encode_deterministic({k: v for k, v in label.items() if k != 1})[1:]
        at = len(whole) - len(tail) - len(serial)
        if not whole.endswith(tail) or whole[at : at + len(serial)] != serial:
            raise ValueError("the payload does not end with the serial and the label's claims")
        return cls(protected_header(public_key), whole[:at], tail)

    def payload(self, serial: str) -> bytes:
        if not is_valid_code(serial):
            raise ValueError(f"serial {serial!r} is not 1–20 of A-Z 0-9 -")
        return self.head + cbor2.dumps(serial) + self.tail

    def sign(self, serial: str, private_key: Ed25519PrivateKey) -> str:
        """The token of the template's claims with `serial`; the key must be the one whose
        public half made the template (its kid is in the protected header)."""
        return signing.b64url(_sign1(self.protected, self.payload(serial), private_key))


def _open(token: str, trust: Mapping[bytes, Ed25519PublicKey]) -> LabelClaims:
    """Signature, encoding and claims checked; the validity period is not."""
    _require(len(token) <= TOKEN_MAX_LENGTH, Reason.BAD_ENCODING, "token too long")
    return _claims(open_sign1(_b64url_decode_strict(token), trust))


def _check_period(claims: LabelClaims, now: float) -> None:
    _require(claims.iat <= now, Reason.NOT_YET_VALID, f"issued at {claims.iat}, after now")
    _require(now <= claims.exp, Reason.EXPIRED, f"expired at {claims.exp}")


def verify(token: str, trust: Mapping[bytes, Ed25519PublicKey], now: float) -> LabelClaims:
    """The claims of a token signed by a trusted key and valid at `now` (Unix seconds).
    Raises TokenInvalid with the reason otherwise."""
    claims = _open(token, trust)
    _check_period(claims, now)
    return claims


# ---------------------------------------------------------------- label URLs
@dataclass(frozen=True, slots=True)
class LabelUrl:
    """The parts of a label URL; `gtin` and `lot` are None in the short form."""

    serial: str
    token: str
    gtin: str | None = None
    lot: str | None = None


def _origin(base: str) -> str:
    parts = urllib.parse.urlsplit(base.rstrip("/"))
    extra = parts.path or parts.query or parts.fragment
    if parts.scheme not in ("http", "https") or not parts.netloc or extra:
        raise ValueError(f"{base!r} is not scheme://host[:port]: label paths start at the root")
    return f"{parts.scheme}://{parts.netloc}"


def label_url(
    base: str, serial: str, token: str, gtin: str | None = None, lot: str | None = None
) -> str:
    """The URL a label's QR holds: the GS1 Digital Link form when there is a GTIN (it then
    needs the lot), the short form otherwise (the lot is then left out). Raises ValueError
    for bad codes or when the URL would exceed 330 characters (QR version 13 at level M)."""
    if not is_valid_code(serial):
        raise ValueError(f"serial {serial!r} is not 1–20 of A-Z 0-9 -")
    return url_of(url_prefix(base, gtin, lot), serial, token)


def url_prefix(base: str, gtin: str | None = None, lot: str | None = None) -> str:
    """What the URLs of all labels of one lot share, up to the serial: checked once."""
    if gtin is None:
        return f"{_origin(base)}/l/"
    if not is_valid_gtin14(gtin):
        raise ValueError(f"{gtin!r} is not a GTIN-14 with its check digit")
    if lot is None or not is_valid_code(lot):
        raise ValueError(f"lot {lot!r} is not 1–20 of A-Z 0-9 -")
    return f"{_origin(base)}/01/{gtin}/10/{lot}/21/"


def url_of(prefix: str, serial: str, token: str) -> str:
    """The label URL after a `url_prefix`, for a serial already checked (as `TokenTemplate`
    does); ValueError when it would exceed 330 characters (QR version 13 at level M)."""
    url = f"{prefix}{serial}?le={token}"
    if len(url) > URL_MAX_LENGTH:
        raise ValueError(f"label URL is {len(url)} characters, over {URL_MAX_LENGTH}")
    return url


def parse_label_url(url: str) -> LabelUrl:
    """Serial, token and (GS1 form) GTIN and lot of a label URL, each checked for its form.
    Raises TokenInvalid(BAD_URL)."""
    _require(len(url) <= URL_MAX_LENGTH, Reason.BAD_URL, f"URL over {URL_MAX_LENGTH} chars")
    parts = urllib.parse.urlsplit(url)
    tokens = urllib.parse.parse_qs(parts.query).get("le", [])
    _require(len(tokens) == 1, Reason.BAD_URL, "URL needs exactly one le= token")
    if short := _SHORT_PATH.fullmatch(parts.path):
        found = LabelUrl(serial=short.group(1), token=tokens[0])
    elif gs1 := _GS1_PATH.fullmatch(parts.path):
        gtin, lot, serial = gs1.groups()
        _require(is_valid_gtin14(gtin), Reason.BAD_URL, "GTIN is not 14 digits with its check")
        _require(is_valid_code(lot), Reason.BAD_URL, "lot is outside A-Z 0-9 - (max 20)")
        found = LabelUrl(serial=serial, token=tokens[0], gtin=gtin, lot=lot)
    else:
        raise TokenInvalid(Reason.BAD_URL, "path is neither /l/SERIAL nor the GS1 form")
    _require(is_valid_code(found.serial), Reason.BAD_URL, "serial is outside A-Z 0-9 -")
    return found


class Status(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a verifier concludes from a label URL. `claims` is there once the signature has
    verified and matches the URL (valid, revoked, expired, not yet valid); `reason` says
    why a label is invalid or expired."""

    status: Status
    reason: Reason | None = None
    claims: LabelClaims | None = None


def _check_matches(claims: LabelClaims, parts: LabelUrl) -> None:
    """The URL must repeat the token's serial, and in the GS1 form its lot and GTIN; a token
    holds a GTIN only when its URL has one (§5), so the short form refuses one with a GTIN."""
    _require(claims.serial == parts.serial, Reason.URL_MISMATCH, "serial differs from token")
    _require(claims.gtin == parts.gtin, Reason.URL_MISMATCH, "GTIN differs from token")
    _require(parts.lot is None or claims.lot == parts.lot, Reason.URL_MISMATCH, "lot differs")


def check_url(
    url: str,
    trust: Mapping[bytes, Ed25519PublicKey],
    revoked_serials: Container[str],
    now: float,
) -> Verdict:
    """Every acceptance rule of §5, in the order that gives the most telling verdict: a
    forged or mismatched label is invalid whatever else holds, a genuine revoked one is
    revoked even when it has also expired."""
    try:
        parts = parse_label_url(url)
        claims = _open(parts.token, trust)
        _check_matches(claims, parts)
    except TokenInvalid as exc:
        return Verdict(Status.INVALID, exc.reason)
    if claims.serial in revoked_serials:
        return Verdict(Status.REVOKED, None, claims)
    try:
        _check_period(claims, now)
    except TokenInvalid as exc:
        status = Status.EXPIRED if exc.reason is Reason.EXPIRED else Status.INVALID
        return Verdict(status, exc.reason, claims)
    return Verdict(Status.VALID, None, claims)
