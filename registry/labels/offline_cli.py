"""`registry label verify`: a receiving clerk's check of many label URLs in one run,
offline against saved lists or against the lists of each URL's registry.

It imports click, the token and list cores and nothing of the app, so registry/cli.py runs
it without starting Flask: a check starts in a fraction of a second."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NoReturn

import click

from registry.labels import offline
from registry.labels import token as ptt1

EXIT_STATUS = {  # the worst verdict of the run decides the exit status
    ptt1.Status.VALID: 0,
    ptt1.Status.EXPIRED: 1,
    ptt1.Status.REVOKED: 3,  # revoked or suspended: on the revocation list
    ptt1.Status.INVALID: 4,
}
NO_VERDICT = 5
OFFLINE_HINT = (
    "to check without a connection, give saved lists: "
    "--jwks jwks.json --revocations revocations.cose"
)
EPILOG = """\b
Exit status, for the worst label of the run:
  0  every label valid
  1  expired
  2  wrong usage (no URL, one list without the other)
  3  revoked or suspended (on the revocation list)
  4  invalid: forged, altered, unknown key, not a label address
  5  no verdict: the lists could not be fetched or read"""

NOT_A_LABEL_ADDRESS = offline.Verdict(ptt1.Status.INVALID, str(ptt1.Reason.BAD_URL))

Find = Callable[[str], offline.Checker | None]


@click.command("verify", epilog=EPILOG)
@click.argument("urls", nargs=-1)
@click.option(
    "--file",
    "url_file",
    type=click.File("r", encoding="utf-8"),
    help="Read label URLs from this file, one a line (- for stdin).",
)
@click.option("--jwks", "jwks_file", type=click.File("rb"), help="A saved trust list.")
@click.option(
    "--revocations",
    "revocations_file",
    type=click.File("rb"),
    help="A saved signed revocation list (revocations.cose).",
)
def verify(
    urls: tuple[str, ...], url_file: IO[str] | None, jwks_file: Any, revocations_file: Any
) -> None:
    """Check label URLs as DESIGN.md §5 says: given as arguments (- reads stdin) or with
    --file, one JSON line each, against saved lists (offline) or the lists downloaded from
    each URL's registry."""
    found = list(_urls(urls, url_file))
    if not found:
        raise click.UsageError("give label URLs, --file F, or - to read them from stdin")
    find = _checkers(found, jwks_file, revocations_file)
    now = time.time()
    worst = 0
    for url in found:
        checker = find(url)
        verdict = checker.check(url, now) if checker else NOT_A_LABEL_ADDRESS
        click.echo(json.dumps(_line(url, verdict), ensure_ascii=False))
        worst = max(worst, EXIT_STATUS[verdict.status])
    sys.exit(worst)


def _urls(arguments: Iterable[str], url_file: IO[str] | None) -> Iterator[str]:
    for argument in arguments:
        if argument == "-":
            yield from _lines(sys.stdin)
        else:
            yield argument
    if url_file is not None:
        yield from _lines(url_file)


def _lines(source: IO[str]) -> Iterator[str]:
    return (line.strip() for line in source if line.strip())


def _checkers(urls: list[str], jwks_file: Any, revocations_file: Any) -> Find:
    """The checker for each URL: the saved lists for all, or each registry's own lists."""
    if bool(jwks_file) != bool(revocations_file):
        raise click.UsageError("give both --jwks and --revocations, or neither")
    if jwks_file:
        try:
            saved = offline.Lists.read(jwks_file.read(), revocations_file.read())
        except offline.ListsUnavailable as exc:
            _no_verdict(str(exc))
        checker = offline.Checker(saved)
        return lambda url: checker
    try:
        by_origin = offline.downloaded_checkers(urls)
    except offline.ListsUnavailable as exc:
        _no_verdict(f"{exc}; {OFFLINE_HINT}")
    return lambda url: by_origin.get(offline.origin_of(url) or "")


def _no_verdict(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(NO_VERDICT)


def _line(url: str, verdict: offline.Verdict) -> dict[str, Any]:
    claims = verdict.claims
    return {
        "url": url,
        "status": str(verdict.status),
        "reason": verdict.reason,
        "serial": claims.serial if claims else None,
        "lot": claims.lot if claims else None,
        "gtin": claims.gtin if claims else None,
        "g_co2e_per_kg": claims.g_co2e_per_kg if claims else None,
        "reduction_pct": claims.reduction_permille / 10 if claims else None,
        "expires": claims.exp if claims else None,
    }
