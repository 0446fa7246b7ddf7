"""PTT1 tokens and label URLs (DESIGN.md §5): the bytes the contract fixes, round trips,
tampering, and the outside verifier ../shared/checks/label_check.py run offline."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import pathlib
import time
from types import ModuleType
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from registry.labels import token as ptt
from registry.labels.gs1 import gtin_check_digit
from registry.labels.revocations import KeyStatus, Revocation, jwk, sign_revocations
from registry.labels.token import (
    LabelClaims,
    Reason,
    Status,
    TokenInvalid,
    check_url,
    encode_deterministic,
    key_id,
    label_url,
    parse_label_url,
    sign,
    sign1,
    verify,
)
from registry.verify import signing

SHARED = pathlib.Path(__file__).resolve().parents[2].parent / "shared"
BASE = "https://nhan.haiphong.gov.vn"
NOW = 1_780_000_000
YEAR = 365 * 86400


def key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


KEY = key("label key 1")
OTHER_KEY = key("label key 2")
TRUST = {key_id(KEY.public_key()): KEY.public_key()}


def claims(**changes: object) -> LabelClaims:
    base = LabelClaims(
        serial="PTT-0000123",
        lot="HT26-07",
        gtin="08936221043064",
        g_co2e_per_kg=1234,
        reduction_permille=253,
        methodology="ipcc2019-t1-rice",
        verifier="VNV-001",
        log_index=4711,
        iss="VN-PTT",
        iat=NOW - 60,
        exp=NOW + 2 * YEAR,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def url_of(c: LabelClaims, key: Ed25519PrivateKey = KEY) -> str:
    return label_url(BASE, c.serial, sign(c, key), c.gtin, c.lot)


def envelope(token: str) -> tuple[bytes, object, bytes, bytes]:
    message = cbor2.loads(signing.from_b64url(token))
    assert isinstance(message, cbor2.CBORTag) and message.tag == 18
    protected, unprotected, payload, signature = message.value
    return protected, unprotected, payload, signature


def refusal(call: object, *args: object) -> Reason:
    assert callable(call)
    with pytest.raises(TokenInvalid) as caught:
        call(*args)
    return caught.value.reason


# ---------------------------------------------------------------- the bytes of the contract
def test_payload_bytes_of_a_small_label() -> None:
    """Hand-encoded from §5 and RFC 8949: map keys 1, 4, 6, -70001 in bytewise order,
    ints in their shortest form, no GTIN key when there is none."""
    small = LabelClaims("S1", "L1", None, 500, 250, "m", "V", 7, "R", 1000, 2000)
    _, _, payload, _ = envelope(sign(small, KEY))
    expected = (
        "a4"
        "01" "6152"  # 1: iss "R"
        "04" "1907d0"  # 4: exp 2000
        "06" "1903e8"  # 6: iat 1000
        "3a00011170"  # -70001
        "a7"
        "01" "625331"  # serial "S1"
        "02" "624c31"  # lot "L1"
        "06" "1901f4"  # 500 g CO2e/kg
        "07" "18fa"  # 25.0 %
        "08" "616d"  # methodology "m"
        "09" "6156"  # verifier "V"
        "0b" "07"  # log index 7
    )  # fmt: skip
    assert payload.hex() == expected


def test_cose_sign1_envelope_and_signature() -> None:
    token = sign(claims(), KEY)
    assert "=" not in token and set(token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    protected, unprotected, payload, signature = envelope(token)
    spki = KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    kid = hashlib.sha256(spki).digest()[:8]
    assert protected == bytes.fromhex("a2012704") + b"\x48" + kid  # {1: -8, 4: h'kid'}
    assert unprotected == {}
    assert signing.from_b64url(token)[:2] == b"\xd2\x84"  # tag 18, array of 4
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    KEY.public_key().verify(signature, to_be_signed)  # raises if it does not verify
    assert key_id(KEY.public_key()) == kid


def test_the_gtin_is_in_the_label_map_only_when_given() -> None:
    label = cbor2.loads(envelope(sign(claims(), KEY))[2])[-70001]
    assert list(label) == [1, 2, 3, 6, 7, 8, 9, 11] and label[3] == "08936221043064"
    assert 3 not in cbor2.loads(envelope(sign(claims(gtin=None), KEY))[2])[-70001]


def test_same_claims_same_token() -> None:
    assert sign(claims(), KEY) == sign(claims(), KEY)
    assert sign(claims(), KEY) != sign(claims(log_index=4712), KEY)


def test_deterministic_order_is_bytewise_not_cbor2_canonical() -> None:
    """RFC 8949 §4.2.1 orders keys by their encoded bytes; cbor2's canonical=True orders
    them length-first (RFC 7049). They differ in general ..."""
    mixed = {"a": 0, -70001: 0, -25: 0, -1: 0, 256: 0, 24: 0, 1: 0}
    assert list(cbor2.loads(encode_deterministic(mixed))) == [1, 24, 256, -1, -25, -70001, "a"]
    assert list(cbor2.loads(cbor2.dumps(mixed, canonical=True))) != [1, 24, 256, -1, -25]


@pytest.mark.parametrize("gtin", ["08936221043064", None])
def test_but_agree_on_ptt1_payloads_which_label_check_compares_with_canonical(
    gtin: str | None,
) -> None:
    """... but not on the PTT1 keys, and label_check.py requires the payload to equal
    cbor2.dumps(decoded, canonical=True)."""
    payload = envelope(sign(claims(gtin=gtin), KEY))[2]
    assert cbor2.dumps(cbor2.loads(payload), canonical=True) == payload


@pytest.mark.parametrize("value", [1.5, True, None, {1: [2.0]}, {(1, 2): 3}, cbor2.CBORTag(1, 0)])
def test_deterministic_encoding_refuses_what_it_cannot_order(value: object) -> None:
    with pytest.raises(TypeError):
        encode_deterministic(value)


# ---------------------------------------------------------------- claims
def test_round_trip() -> None:
    assert verify(sign(claims(), KEY), TRUST, NOW) == claims()
    assert verify(sign(claims(gtin=None), KEY), TRUST, NOW) == claims(gtin=None)


@pytest.mark.parametrize(
    "change",
    [
        {"serial": "ptt-1"},
        {"serial": "A" * 21},
        {"lot": ""},
        {"gtin": "08936221043065"},
        {"gtin": "8936221043064"},
        {"g_co2e_per_kg": -1},
        {"g_co2e_per_kg": 12.5},
        {"reduction_permille": True},
        {"methodology": ""},
        {"verifier": None},
        {"log_index": -3},
        {"iss": ""},
        {"exp": NOW - 120},
    ],
)
def test_claims_are_checked_when_made(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="invalid label claims"):
        claims(**change)


# ---------------------------------------------------------------- refusals
def test_period() -> None:
    c = claims(iat=NOW, exp=NOW + 10)
    token = sign(c, KEY)
    assert verify(token, TRUST, NOW) == verify(token, TRUST, NOW + 10) == c
    assert refusal(verify, token, TRUST, NOW - 1) is Reason.NOT_YET_VALID
    assert refusal(verify, token, TRUST, NOW + 11) is Reason.EXPIRED


def test_unknown_key() -> None:
    assert refusal(verify, sign(claims(), OTHER_KEY), TRUST, NOW) is Reason.UNKNOWN_KEY


def test_known_kid_with_another_key() -> None:
    impostor = {key_id(KEY.public_key()): OTHER_KEY.public_key()}
    assert refusal(verify, sign(claims(), KEY), impostor, NOW) is Reason.BAD_SIGNATURE


def test_flipped_payload_byte() -> None:
    raw = bytearray(signing.from_b64url(sign(claims(), KEY)))
    raw[raw.index(b"PTT-0000123")] ^= 0x01  # 'P' -> 'Q'
    assert refusal(verify, signing.b64url(bytes(raw)), TRUST, NOW) is Reason.BAD_SIGNATURE


def forged(payload: object, header: object = None, unprotected: object = None) -> str:
    """A correctly signed COSE_Sign1 around an arbitrary (maybe non-conforming) structure."""
    kid = key_id(KEY.public_key())
    protected = cbor2.dumps({1: -8, 4: kid} if header is None else header)
    body = payload if isinstance(payload, bytes) else cbor2.dumps(payload)
    signature = KEY.sign(cbor2.dumps(["Signature1", protected, b"", body]))
    message = cbor2.CBORTag(18, [protected, unprotected or {}, body, signature])
    return signing.b64url(cbor2.dumps(message))


def payload_of(c: LabelClaims) -> Any:
    return cbor2.loads(envelope(sign(c, KEY))[2])


def test_forgery_helper_makes_what_sign_makes() -> None:
    assert forged(payload_of(claims())) == sign(claims(), KEY)


def test_payload_in_another_key_order_is_refused() -> None:
    reordered = dict(reversed(payload_of(claims()).items()))
    assert refusal(verify, forged(reordered), TRUST, NOW) is Reason.BAD_ENCODING


def test_payload_with_long_form_int_is_refused() -> None:
    log_index_4711 = bytes.fromhex("0b191267")
    payload = encode_deterministic(payload_of(claims()))
    assert log_index_4711 in payload
    payload = payload.replace(log_index_4711, bytes.fromhex("0b1a00001267"))
    assert refusal(verify, forged(payload), TRUST, NOW) is Reason.BAD_ENCODING


@pytest.mark.parametrize(
    "header", [{1: -7, 4: b"12345678"}, {1: -8}, {1: -8, 4: b"1234"}, {1: -8, 4: "kid", 2: [4]}]
)
def test_other_protected_headers_are_refused(header: dict[int, object]) -> None:
    assert refusal(verify, forged(payload_of(claims()), header=header), TRUST, NOW) in (
        Reason.BAD_HEADER,
        Reason.BAD_ENCODING,
    )


def test_extra_header_parameter_is_refused() -> None:
    header = {1: -8, 3: 0, 4: key_id(KEY.public_key())}  # deterministic order
    assert refusal(verify, forged(payload_of(claims()), header=header), TRUST, NOW) is (
        Reason.BAD_HEADER
    )


def test_non_empty_unprotected_header_is_refused() -> None:
    token = forged(payload_of(claims()), unprotected={4: b"x"})
    assert refusal(verify, token, TRUST, NOW) is Reason.BAD_ENCODING


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: {k: v for k, v in p.items() if k != -70001},
        lambda p: {**p, -70001: {k: v for k, v in p[-70001].items() if k != 11}},
        lambda p: {**p, -70001: {**p[-70001], 6: "1234"}},
        lambda p: {**p, 6: "yesterday"},
        lambda p: [p],
    ],
)
def test_claims_missing_or_mistyped(mangle: object) -> None:
    assert callable(mangle)
    token = forged(encode_deterministic(mangle(payload_of(claims()))))
    assert refusal(verify, token, TRUST, NOW) is Reason.BAD_CLAIMS


@pytest.mark.parametrize(
    "spoil",
    [
        lambda t: t + "=",
        lambda t: t + "A",
        lambda t: t[:-1],
        lambda t: t[:40] + "+" + t[41:],
        lambda t: t[:40] + " " + t[40:],
        lambda t: "",
        lambda t: "A" * 2000,
        lambda t: signing.b64url(b"\xa0"),
        lambda t: signing.b64url(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b""]))),
    ],
)
def test_bad_encodings(spoil: object) -> None:
    assert callable(spoil)
    assert refusal(verify, spoil(sign(claims(), KEY)), TRUST, NOW) is Reason.BAD_ENCODING


@pytest.mark.parametrize("serial", ["PTT-1", "PTT-123"])  # tokens of 3 and 2 chars mod 4
def test_base64_trailing_bits_must_be_zero(serial: str) -> None:
    """`…A` and `…B` decode to the same bytes when the last character carries padding bits:
    only the canonical spelling is accepted."""
    token = sign(claims(serial=serial), KEY)
    assert len(token) % 4 in (2, 3)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    assert signing.from_b64url(twin) == signing.from_b64url(token)
    assert refusal(verify, twin, TRUST, NOW) is Reason.BAD_ENCODING


# ---------------------------------------------------------------- properties
CODES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=20)
GTINS = st.text(alphabet="0123456789", min_size=13, max_size=13).map(
    lambda body: body + str(gtin_check_digit(body))
)
UINTS = st.integers(min_value=0, max_value=2**64 - 1)
TEXTS = st.text(min_size=1, max_size=24)


@st.composite
def any_claims(draw: st.DrawFn) -> LabelClaims:
    iat = draw(st.integers(min_value=0, max_value=2**40))
    return LabelClaims(
        serial=draw(CODES),
        lot=draw(CODES),
        gtin=draw(st.none() | GTINS),
        g_co2e_per_kg=draw(UINTS),
        reduction_permille=draw(st.integers(min_value=0, max_value=1000)),
        methodology=draw(TEXTS),
        verifier=draw(TEXTS),
        log_index=draw(UINTS),
        iss=draw(TEXTS),
        iat=iat,
        exp=iat + draw(st.integers(min_value=0, max_value=2**40)),
    )


@given(any_claims())
def test_any_valid_claims_round_trip(c: LabelClaims) -> None:
    token = sign(c, KEY)
    assert verify(token, TRUST, c.iat) == c
    assert verify(token, TRUST, c.exp) == c


@given(any_claims(), st.data())
def test_any_changed_character_is_refused(c: LabelClaims, data: st.DataObject) -> None:
    token = sign(c, KEY)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(
        st.sampled_from(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .é"
        ).filter(lambda ch: ch != token[position])
    )
    changed = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(TokenInvalid):
        verify(changed, TRUST, c.iat)


@given(any_claims(), st.data())
def test_any_changed_byte_is_refused(c: LabelClaims, data: st.DataObject) -> None:
    raw = bytearray(signing.from_b64url(sign(c, KEY)))
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[position] = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]))
    with pytest.raises(TokenInvalid):
        verify(signing.b64url(bytes(raw)), TRUST, c.iat)


# ---------------------------------------------------------------- URLs
def test_both_url_forms() -> None:
    token = sign(claims(), KEY)
    assert label_url(BASE + "/", "PTT-1", token, "08936221043064", "L-7") == (
        f"{BASE}/01/08936221043064/10/L-7/21/PTT-1?le={token}"
    )
    assert label_url(BASE, "PTT-1", token) == f"{BASE}/l/PTT-1?le={token}"
    assert label_url(BASE, "PTT-1", token, lot="L-7") == f"{BASE}/l/PTT-1?le={token}"


@pytest.mark.parametrize(
    ("base", "serial", "gtin", "lot"),
    [
        (BASE, "ptt-1", None, None),
        (BASE, "PTT-1", "8936221043064", "L-7"),
        (BASE, "PTT-1", "08936221043065", "L-7"),
        (BASE, "PTT-1", "08936221043064", None),
        (BASE, "PTT-1", "08936221043064", "L 7"),
        (BASE + "/nhan", "PTT-1", None, None),
        (BASE + "?x=1", "PTT-1", None, None),
        ("nhan.haiphong.gov.vn", "PTT-1", None, None),
    ],
)
def test_url_refuses_bad_parts(base: str, serial: str, gtin: str | None, lot: str | None) -> None:
    with pytest.raises(ValueError):
        label_url(base, serial, "token", gtin, lot)


def test_parse_both_forms() -> None:
    gs1 = parse_label_url(f"{BASE}/01/08936221043064/10/L-7/21/PTT-1?le=abc")
    assert gs1 == ptt.LabelUrl(serial="PTT-1", token="abc", gtin="08936221043064", lot="L-7")
    short = parse_label_url(f"{BASE}/l/PTT-1?le=abc")
    assert short == ptt.LabelUrl(serial="PTT-1", token="abc")


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/l/PTT-1",
        f"{BASE}/l/PTT-1?le=",
        f"{BASE}/l/PTT-1?le=a&le=b",
        f"{BASE}/l/ptt-1?le=abc",
        f"{BASE}/l/PTT-1/?le=abc",
        f"{BASE}/x/l/PTT-1?le=abc",
        f"{BASE}/01/08936221043065/10/L-7/21/PTT-1?le=abc",
        f"{BASE}/01/8936221043064/10/L-7/21/PTT-1?le=abc",
        f"{BASE}/01/08936221043064/21/PTT-1/10/L-7?le=abc",
        f"{BASE}/01/08936221043064/10/L%207/21/PTT-1?le=abc",
        f"{BASE}/l/PTT-1?le=" + "a" * 330,
    ],
)
def test_parse_refuses(url: str) -> None:
    assert refusal(parse_label_url, url) is Reason.BAD_URL


def test_longest_codes_cannot_fit_330_characters() -> None:
    """§5 allows 20-character serials and lots and asks for URLs of at most 330 characters:
    both at once do not fit. Serial, lot and GTIN stand twice, in the path and in the token
    (where base64 makes each byte 4/3 characters), beside the 64-byte signature. With a
    GTIN, 20-character codes, the long methodology id and the default registry id the URL
    is 404 characters; label_url refuses it rather than make a QR above version 13."""
    c = claims(
        serial="S" * 20, lot="L" * 20, methodology="ipcc2019-t1-rice-v1",
        iss="demo.phatthaithap.vn", log_index=10_000_000,
    )  # fmt: skip
    token = sign(c, KEY)
    assert len(f"{BASE}/01/{c.gtin}/10/{c.lot}/21/{c.serial}?le={token}") == 404
    with pytest.raises(ValueError, match="404 characters, over 330"):
        label_url(BASE, c.serial, token, c.gtin, c.lot)


@pytest.mark.parametrize(
    ("serial", "lot", "gtin", "iss", "length"),
    [
        ("S" * 10, "L" * 6, "08936221043064", "VN-PTT", 329),  # one more character: 331
        ("S" * 20, "L" * 20, None, "VN-PTT", 321),
        ("S" * 12, "L" * 20, None, "demo.phatthaithap.vn", 321),
    ],
)
def test_what_fits_330_characters(
    serial: str, lot: str, gtin: str | None, iss: str, length: int
) -> None:
    """Budgets that fit, with the long methodology id, a 7-character verifier code, a log
    index of 4 bytes, emission figures of 2 bytes and a 28-character base URL: each code
    character costs about 2⅓ URL characters, a GTIN 37 and the registry id 1⅓ each."""
    c = claims(
        serial=serial, lot=lot, gtin=gtin, iss=iss,
        methodology="ipcc2019-t1-rice-v1", log_index=10_000_000,
    )  # fmt: skip
    url = url_of(c)
    assert len(url) == length <= 330
    assert check_url(url, TRUST, set(), NOW).status is Status.VALID


# ---------------------------------------------------------------- verdicts
def test_valid_verdict_carries_the_claims() -> None:
    verdict = check_url(url_of(claims()), TRUST, set(), NOW)
    assert verdict == ptt.Verdict(Status.VALID, None, claims())
    short = claims(gtin=None)
    assert check_url(url_of(short), TRUST, set(), NOW).status is Status.VALID


def test_revoked_wins_over_expired() -> None:
    url = url_of(claims())
    assert check_url(url, TRUST, {"PTT-0000123"}, NOW).status is Status.REVOKED
    late = NOW + 3 * YEAR
    assert check_url(url, TRUST, set(), late) == ptt.Verdict(
        Status.EXPIRED, Reason.EXPIRED, claims()
    )
    assert check_url(url, TRUST, {"PTT-0000123"}, late).status is Status.REVOKED


def test_not_yet_valid_is_invalid() -> None:
    verdict = check_url(url_of(claims()), TRUST, set(), NOW - 3600)
    assert (verdict.status, verdict.reason) == (Status.INVALID, Reason.NOT_YET_VALID)


def swap(url: str, old: str, new: str) -> str:
    assert old in url
    return url.replace(old, new, 1)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda u: swap(u, "/21/PTT-0000123", "/21/PTT-0000124"), Reason.URL_MISMATCH),
        (lambda u: swap(u, "/10/HT26-07", "/10/HT26-08"), Reason.URL_MISMATCH),
        (lambda u: swap(u, "/01/08936221043064", "/01/09506000134352"), Reason.URL_MISMATCH),
        (lambda u: swap(u, "/01/08936221043064/10/HT26-07/21", "/l"), Reason.URL_MISMATCH),
        (lambda u: swap(u, "?le=", "?le=x"), Reason.BAD_ENCODING),
        (lambda u: swap(u, "/01/08936221043064", "/01/08936221043065"), Reason.BAD_URL),
    ],
)
def test_tampered_urls_are_invalid(tamper: object, reason: Reason) -> None:
    assert callable(tamper)
    verdict = check_url(tamper(url_of(claims())), TRUST, set(), NOW)
    assert verdict == ptt.Verdict(Status.INVALID, reason)


def test_serial_swapped_between_two_genuine_labels() -> None:
    first, second = url_of(claims()), url_of(claims(serial="PTT-0000124"))
    swapped = first.split("?")[0] + "?" + second.split("?")[1]
    assert check_url(swapped, TRUST, set(), NOW).reason is Reason.URL_MISMATCH


def test_other_registry_key_is_invalid() -> None:
    verdict = check_url(url_of(claims(), key=OTHER_KEY), TRUST, set(), NOW)
    assert verdict == ptt.Verdict(Status.INVALID, Reason.UNKNOWN_KEY)


# ---------------------------------------------------------------- the outside verifier
def load_label_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "label_check", SHARED / "checks" / "label_check.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def label_check(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """label_check.py with its two downloads answered here: the JWK Set and the signed
    revocation list that the registry will serve (§5), revoking PTT-REVOKED."""
    module = load_label_check()
    now = int(time.time())
    served = {
        f"{BASE}/.well-known/jwks.json": json.dumps(
            {"keys": [jwk(KEY.public_key(), KeyStatus.ACTIVE, now - YEAR, now + 5 * YEAR)]}
        ).encode(),
        f"{BASE}/api/v1/revocations.cose": sign_revocations(
            [Revocation("PTT-REVOKED", now - 10, "approval_revoked")], "VN-PTT", now, KEY
        ),
    }
    monkeypatch.setattr(module, "get", served.__getitem__)
    return module


def current(**changes: object) -> LabelClaims:
    now = int(time.time())
    return claims(iat=now - 60, exp=now + YEAR, **changes)


@pytest.mark.parametrize("gtin", ["08936221043064", None])
def test_label_check_accepts_our_labels(label_check: ModuleType, gtin: str | None) -> None:
    facts = label_check.check(url_of(current(gtin=gtin)))
    assert facts == {
        "serial": "PTT-0000123", "lot": "HT26-07", "gtin": gtin, "g_co2e_per_kg": 1234,
        "reduction_pct": 25.3, "methodology": "ipcc2019-t1-rice", "verifier": "VNV-001",
        "log_index": 4711, "issuer": "VN-PTT",
    }  # fmt: skip


@pytest.mark.parametrize(
    "bad_url",
    [
        lambda: swap(url_of(current()), "/21/PTT-0000123", "/21/PTT-0000124"),
        lambda: swap(url_of(current()), "/10/HT26-07", "/10/HT26-08"),
        lambda: url_of(current(serial="PTT-REVOKED")),
        lambda: url_of(current(), key=OTHER_KEY),
        lambda: url_of(claims(iat=1_000_000_000, exp=1_000_000_100)),
    ],
)
def test_label_check_refuses_what_we_refuse(label_check: ModuleType, bad_url: object) -> None:
    assert callable(bad_url)
    url = bad_url()
    with pytest.raises(label_check.Invalid):
        label_check.check(url)
    trust = {key_id(KEY.public_key()): KEY.public_key()}
    assert check_url(url, trust, {"PTT-REVOKED"}, time.time()).status is not Status.VALID


def test_label_check_reads_a_signature_made_by_sign1(label_check: ModuleType) -> None:
    payload = encode_deterministic({1: "VN-PTT", 6: NOW, -70002: []})
    opened = label_check.open_sign1(
        sign1(payload, KEY), {key_id(KEY.public_key()): KEY.public_key()}
    )
    assert opened == {1: "VN-PTT", 6: NOW, -70002: []}
