"""The offline verifier: a label URL checked against a trust list (JWK Set) and a signed
revocation list, with no other help from the registry. `registry label verify` downloads
the two lists (or reads saved copies, for a shop without a connection); the verify page
uses the registry's own lists directly."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from registry.db import Db, utcnow
from registry.keys import keystore
from registry.labels import revocations as lists
from registry.labels import status
from registry.labels import token as ptt1

TIMEOUT_S = 20


@dataclass(frozen=True)
class Lists:
    """A trust list and a revocation list, as a verifier keeps them."""

    jwks: dict[str, Any]
    revocations: bytes


def check(url: str, saved: Lists, now: float) -> ptt1.Verdict:
    """Every rule of DESIGN.md §5: signature by a trusted (not compromised) key, validity
    period, URL matching the token, serial not on the signed revocation list."""
    try:
        keys = lists.verification_keys(lists.trust_from_jwks(saved.jwks))
        revoked = {r.serial for r in lists.verify_revocations(saved.revocations, keys)}
    except (lists.TrustListInvalid, ptt1.TokenInvalid):
        return ptt1.Verdict(ptt1.Status.INVALID, ptt1.Reason.UNKNOWN_KEY)
    return ptt1.check_url(url, keys, revoked, now)


def download(origin: str) -> Lists:
    """The two lists from a registry's origin (scheme://host[:port])."""
    base = origin.rstrip("/")
    with urllib.request.urlopen(f"{base}/.well-known/jwks.json", timeout=TIMEOUT_S) as r:
        jwks = json.loads(r.read())
    with urllib.request.urlopen(f"{base}/api/v1/revocations.cose", timeout=TIMEOUT_S) as r:
        revoked = r.read()
    return Lists(jwks, revoked)


def origin_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def here(session: Db, registry_id: str) -> Lists:
    """This registry's own lists, made exactly as the endpoints make them."""
    now = utcnow()
    published = keystore().published("label")
    rows = status.revocation_rows(status.revoked_since(session, None))
    signed = lists.sign_revocations(
        rows, registry_id, int(now.timestamp()), keystore().private("label")
    )
    return Lists(status.trust_list(session, published, now), signed)


def check_here(session: Db, url: str, registry_id: str) -> ptt1.Verdict:
    return check(url, here(session, registry_id), utcnow().timestamp())
