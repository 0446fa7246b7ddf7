"""The offline verifier: label URLs checked against a trust list (JWK Set) and a signed
revocation list, with no other help from the registry. `registry label verify` downloads
the two lists (or reads saved copies, for a shop without a connection); the verify page
uses the registry's own lists (`status.check_here`).

No Flask, no database: the command imports this module, the token and list cores and
nothing else, so it starts at once. The rules are `token.check_url`'s, the ones the label
page's verdict (registry/public/verdict.py) starts from too; that verdict then asks the
registry's records (unknown serial, token not as issued, suspension), which an offline
verifier does not have: the revocation list stands in for them here."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from registry.labels import revocations as lists
from registry.labels import token as ptt1

TIMEOUT_S = 20


class ListsUnavailable(Exception):
    """The trust list or the revocation list could not be fetched or read: no verdict."""


@dataclass(frozen=True)
class Lists:
    """A trust list and a revocation list, as a verifier keeps them."""

    jwks: dict[str, Any]
    revocations: bytes

    @classmethod
    def read(cls, jwks: bytes, revocations: bytes) -> Lists:
        """Saved or downloaded bytes; raises ListsUnavailable when the trust list is not a
        JSON object (a signature that fails is a verdict, not this)."""
        try:
            parsed = json.loads(jwks)
        except ValueError as exc:
            raise ListsUnavailable(f"the trust list is not JSON ({exc})") from exc
        if not isinstance(parsed, dict):
            raise ListsUnavailable("the trust list is not a JWK Set (a JSON object)")
        return cls(parsed, revocations)


@dataclass(frozen=True)
class Verdict:
    """What the verifier concludes. `reason` is a `token.Reason` for an invalid or expired
    label, and the revocation list's reason code (`fraud`, `under_review`…) for a revoked
    or suspended one; `claims` is there once the signature verified and matches the URL."""

    status: ptt1.Status
    reason: str | None = None
    claims: ptt1.LabelClaims | None = None


class Checker:
    """The two lists opened and verified once, so that many labels cost one check each."""

    def __init__(self, saved: Lists) -> None:
        try:
            self.keys = lists.verification_keys(lists.trust_from_jwks(saved.jwks))
            entries = lists.verify_revocations(saved.revocations, self.keys)
        except (lists.TrustListInvalid, ptt1.TokenInvalid):
            self.trusted = False
            self.revoked: dict[str, str] = {}
            return
        self.trusted = True
        self.revoked = {r.serial: r.reason for r in entries}

    def check(self, url: str, now: float) -> Verdict:
        """Every rule of DESIGN.md §5: signature by a trusted (not compromised) key,
        validity period, URL matching the token, serial not on the signed revocation list.
        Lists that do not verify trust nothing: every label is then invalid."""
        if not self.trusted:
            return Verdict(ptt1.Status.INVALID, ptt1.Reason.UNKNOWN_KEY)
        found = ptt1.check_url(url, self.keys, self.revoked, now)
        reason = None if found.reason is None else str(found.reason)
        if found.status is ptt1.Status.REVOKED and found.claims is not None:
            reason = self.revoked[found.claims.serial]
        return Verdict(found.status, reason, found.claims)


def check(url: str, saved: Lists, now: float) -> Verdict:
    return Checker(saved).check(url, now)


def download(origin: str) -> Lists:
    """The two lists from a registry's origin (scheme://host[:port]); raises
    ListsUnavailable when they cannot be fetched."""
    base = origin.rstrip("/")
    try:
        jwks = _fetch(f"{base}/.well-known/jwks.json")
        revoked = _fetch(f"{base}/api/v1/revocations.cose")
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise ListsUnavailable(f"cannot fetch the lists from {base} ({exc})") from exc
    return Lists.read(jwks, revoked)


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        return bytes(response.read())


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL; None for anything else (no lists to fetch:
    such a URL is not a label address)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def downloaded_checkers(urls: Iterable[str]) -> dict[str, Checker]:
    """A checker for each registry the URLs name, from lists downloaded once per origin.
    Raises ListsUnavailable for the first registry that cannot be reached."""
    origins = {origin for origin in map(origin_of, urls) if origin is not None}
    return {origin: Checker(download(origin)) for origin in sorted(origins)}
