"""The verdict of a label page (DESIGN.md §7 label page marker): what the token in the URL
proves, checked against the registry's own trust list, then what the registry's record
of the label says now.

Pure: the caller gives the URL, the trust list, the label record found for the token's
serial (or None) and the time, so every case is a plain function call in the tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.keys import PublicKeyInfo
from registry.labels import token as ptt1
from registry.labels.status import Stated, state


class Verdict(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # signed by the registry, but it holds no label with this serial
    INVALID = "invalid"  # the token does not verify or does not match the URL


class Recorded(Stated, Protocol):
    """The registry's record of a label as the verdict reads it: a `Label`, or a Core row
    of its columns (the label page's)."""

    @property
    def id(self) -> int: ...
    @property
    def batch_id(self) -> int: ...
    @property
    def token(self) -> str: ...
    @property
    def log_index(self) -> int: ...


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str | None = None  # a token.Reason, or the label's reason code
    claims: ptt1.LabelClaims | None = None
    label: Recorded | None = None


def trust_list(keys: Sequence[PublicKeyInfo]) -> dict[bytes, Ed25519PublicKey]:
    """kid → key of the published label keys, current and retired, compromised ones out."""
    return {bytes.fromhex(k.kid): k.public_key for k in keys if not k.compromised}


NOT_AS_ISSUED = "not_as_issued"  # a genuine signature, but not the token the label got


def judge(
    url: str,
    trust: Mapping[bytes, Ed25519PublicKey],
    find: Callable[[str], Recorded | None],
    now: datetime,
) -> Judgement:
    """Invalid beats everything (a forged label says nothing true); then unknown; then the
    record: revoked and suspended stand even over an expired token."""
    checked = ptt1.check_url(url, trust, (), now.timestamp())
    claims = checked.claims
    if checked.status is ptt1.Status.INVALID or claims is None:
        return Judgement(Verdict.INVALID, checked.reason)
    label = find(claims.serial)
    if label is None:
        return Judgement(Verdict.UNKNOWN, "not_found", claims)
    if label.token != ptt1.parse_label_url(url).token:
        return Judgement(Verdict.INVALID, NOT_AS_ISSUED, claims)
    recorded = state(label, now)
    if recorded.status in (Verdict.REVOKED, Verdict.SUSPENDED):
        return Judgement(Verdict(recorded.status), recorded.reason, claims, label)
    if checked.status is ptt1.Status.EXPIRED or recorded.status == Verdict.EXPIRED:
        return Judgement(Verdict.EXPIRED, None, claims, label)
    return Judgement(Verdict.VALID, None, claims, label)
