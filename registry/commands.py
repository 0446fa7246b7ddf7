"""The `registry` commands that need the app: migrate, org and user create, demo, keys
generate/rotate, log verify, sequence and publish-tiles, plus Flask's own `run` and `db`
commands. registry/cli.py routes to them; `registry label verify` it runs without the app."""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import force_locale
from flask_migrate import upgrade
from marshmallow import ValidationError

from registry.accounts import service
from registry.accounts.models import OrgKind, Role
from registry.db import db
from registry.errors import DomainError
from registry.keys import PURPOSES, keystore
from registry.labels import offline_cli
from registry.ledger import note, publish, sequencer
from registry.ledger import service as ledger
from registry.ledger.audit import verify_store
from registry.places import PROVINCES
from registry.storage import store as file_store
from registry.validation import ID_MAX, localise
from registry.verify import signing, ties
from registry.verify.calc_schema import calc_from_json
from registry.verify.recompute_cli import recompute_command


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Bring the database schema up to date (Alembic upgrade to head)."""
    upgrade()
    click.echo("database schema is up to date")


@click.group("org")
def org_group() -> None:
    """Organisations."""


@org_group.command("create")
@click.option("--code", required=True, help="A-Z, 0-9 and -, up to 20 characters")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice([k.value for k in OrgKind]))
@click.option("--province", required=True, type=click.Choice(PROVINCES))
@click.option("--commune", required=True)
@with_appcontext
def org_create(code: str, name: str, kind: str, province: str, commune: str) -> None:
    """Register an organisation."""
    with _domain_errors():
        org = service.create_organisation(
            db.session, code=code, name=name, kind=kind, province=province, commune=commune
        )
        db.session.commit()
    click.echo(f"organisation {org.code} created")


@click.group("user")
def user_group() -> None:
    """Users."""


@user_group.command("create")
@click.option("--org", "org_code", required=True, help="organisation code")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    default=[Role.STAFF.value],
    type=click.Choice([r.value for r in Role]),
    show_default=True,
)
@with_appcontext
def user_create(org_code: str, email: str, name: str, password: str, roles: tuple[str]) -> None:
    """Add a user to an organisation."""
    with _domain_errors():
        org = service.organisation_by_code(db.session, org_code)
        user = service.create_user(
            db.session, organisation=org, email=email, name=name, password=password, roles=roles
        )
        db.session.commit()
    click.echo(f"user {user.email} created in {org.code}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo data (idempotent), then list its labels and the reports to review."""
    from registry.demo import load_demo, summary
    from registry.demo.labels import issued_for
    from registry.labels.api import issuer

    created = load_demo(db.session, Path(current_app.instance_path), issuer())
    db.session.commit()
    click.echo(f"demo data loaded ({created} new records)" if created else "demo data present")
    base, issued = current_app.config["PUBLIC_BASE_URL"], issued_for(db.session)
    click.echo("\n".join(summary(db.session, base)))
    if issued is not None and issued != base:
        click.echo(
            f"note: the demo labels name {issued}, not PUBLIC_BASE_URL {base}: to issue them "
            "for this address, remove the demo database (instance/registry.db) and load again",
            err=True,
        )


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Turn a broken rule into a one-line message and exit status 2, not a traceback."""
    try:
        yield
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@click.group("keys")
def keys_group() -> None:
    """The registry's signing keys (files outside the repository, never in the database)."""


@keys_group.command("generate")
@with_appcontext
def keys_generate() -> None:
    """Create the log key and the label key where they are missing (keeps existing ones)."""
    store = keystore()
    for purpose in PURPOSES:
        if store.exists(purpose):
            click.echo(f"{purpose} key kept ({store.folder})")
            continue
        _log_key_event("key.added", purpose, store.generate(purpose).public_key())
        db.session.commit()
        click.echo(f"{purpose} key generated in {store.folder}")


@keys_group.command("rotate")
@click.argument("purpose", type=click.Choice(PURPOSES))
@with_appcontext
def keys_rotate(purpose: str) -> None:
    """Retire the current key (its public half stays published) and start a new one."""
    store = keystore()
    old = store.current(purpose).public_key
    new = store.rotate(purpose)
    _log_key_event("key.retired", purpose, old)
    _log_key_event("key.added", purpose, new.public_key())
    db.session.commit()
    click.echo(f"{purpose} key rotated")


@keys_group.command("compromise")
@click.argument("purpose", type=click.Choice(PURPOSES))
@click.argument("kid")
@with_appcontext
def keys_compromise(purpose: str, kid: str) -> None:
    """Mark a key as leaked (rotating it out if current): what it signed is no longer
    trusted, and the trust list says so."""
    store = keystore()
    was_current = store.exists(purpose) and store.current(purpose).kid == kid
    try:
        info = store.mark_compromised(purpose, kid)
    except KeyError as exc:
        raise click.ClickException(str(exc)) from exc
    _log_key_event("key.compromised", purpose, info.public_key)
    if was_current:
        _log_key_event("key.added", purpose, store.current(purpose).public_key)
    db.session.commit()
    click.echo(f"{purpose} key {kid} marked compromised")


def _log_key_event(kind: str, purpose: str, public_key: Ed25519PublicKey) -> None:
    raw = note.raw_public(public_key)
    ledger.append(
        db.session,
        kind,
        ledger.SYSTEM_ACTOR,
        f"key:{purpose}",
        {"purpose": purpose, "public_key": base64.b64encode(raw).decode()},
    )


@click.group("tokens")
def tokens_group() -> None:
    """API tokens for machines, as the API tokens page makes them."""


@tokens_group.command("create")
@click.option("--user", "email", required=True, help="the email of an admin or staff member")
@click.option("--scopes", required=True, help=f"comma-separated, of: {', '.join(service.SCOPES)}")
@click.option("--name", default="registry tokens create", show_default=True)
@click.option(
    "--days",
    type=click.IntRange(0, 3650),
    default=365,
    show_default=True,
    help="valid for this many days; 0: no expiry",
)
@with_appcontext
def tokens_create(email: str, scopes: str, name: str, days: int) -> None:
    """Make a token for the user's organisation: the token alone on stdout (it is shown
    once), its id on stderr."""
    wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
    with _domain_errors():
        token, secret = service.create_token_for(
            db.session, email=email, name=name, scopes=wanted, valid_days=days or None
        )
        db.session.commit()
    click.echo(secret)
    click.echo(f"token {token.id} ({', '.join(token.scopes)}) created", err=True)


@tokens_group.command("revoke")
@click.argument("token_id", metavar="ID", type=click.IntRange(1, ID_MAX))
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke a token of any organisation (the page revokes only its own)."""
    with _domain_errors():
        token = service.token_by_id(db.session, token_id)
        service.revoke_token(db.session, organisation_id=token.organisation_id, token_id=token.id)
        db.session.commit()
    click.echo(f"token {token_id} revoked")


@click.group("reports")
def reports_group() -> None:
    """Reports: the cells of sums behind dashboards, reports and open data."""


@reports_group.command("rebuild")
@with_appcontext
def reports_rebuild() -> None:
    """Recompute every cell from every record: after a deploy, and nightly (cron) as a
    safety net for the incremental refreshes (registry/reports/changes.py)."""
    from registry.reports import rollup

    state = rollup.rebuild_all(db.session)
    db.session.commit()
    click.echo(f"report cells rebuilt (revision {state.revision})")


@click.group("label")
def label_group() -> None:
    """Labels: the offline verifier retailers run."""


label_group.add_command(offline_cli.verify)


@click.group("log")
def log_group() -> None:
    """The transparency log."""


@log_group.command("verify")
@with_appcontext
def log_verify() -> None:
    """Re-derive the whole tree from the stored entries and check hashes and checkpoints."""
    origin = current_app.config["LOG_ORIGIN"]
    vkeys = [note.vkey(origin, k.public_key) for k in keystore().published("log")]
    report = verify_store(db.session, origin, vkeys)
    click.echo(
        f"{report.entries} entries, {report.nodes} subtree hashes, "
        f"{report.checkpoints} checkpoints checked"
    )
    for problem in report.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    if not report.ok:
        sys.exit(1)
    click.echo("log verified: every stored hash and checkpoint matches the entries")


@log_group.command("sequence")
@with_appcontext
def log_sequence() -> None:
    """Number every entry left in the pool (its writer died after committing, and nobody
    has written since): what each writer's commit does, for when nobody writes."""
    done = sequencer.sequence_all(db.session)
    click.echo(f"{done} entries numbered; log size {ledger.size(db.session)}")


@log_group.command("publish-tiles")
@with_appcontext
def log_publish_tiles() -> None:
    """Publish the log as static tiles (DESIGN §6b) to the file store, checkpoint last:
    the tiles completed since the last publication and the current partial ones."""
    origin = current_app.config["LOG_ORIGIN"]
    try:
        done = publish.publish_current(db.session, file_store(), origin, keystore().private("log"))
    except publish.ForeignStore as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"size {done.size} (the store held {done.previous}): {done.written} tiles written, "
        f"{done.removed} replaced partial tiles removed"
    )
    if not done.current:
        click.echo("a larger checkpoint was published meanwhile; it stays", err=True)


@click.group("mrv")
def mrv_group() -> None:
    """MRV: the emissions methodology."""


mrv_group.add_command(recompute_command)


@mrv_group.command("calc")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@with_appcontext
def mrv_calc(source: IO[str]) -> None:
    """Print the result JSON for one calculator input (DESIGN.md §10); FILE or - for stdin.

    Invalid input: exit status 2 and {"errors": {field: [messages]}} on stdout."""
    with force_locale("en"):
        try:
            document = json.loads(source.read())
            result = calc_from_json(document)
        except json.JSONDecodeError as exc:
            _print_errors({"_schema": [f"Not valid JSON: {exc.msg} (line {exc.lineno})."]})
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
            _print_errors(localise(messages))
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


def _print_errors(errors: dict[str, Any]) -> NoReturn:
    click.echo(json.dumps({"errors": errors}, ensure_ascii=False))
    sys.exit(2)


@click.group("verifier")
def verifier_group() -> None:
    """A verifier's own tools: they run offline, on the verifier's machine."""


@verifier_group.command("keygen")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="where to write the private key (PKCS#8 PEM, owner-only)",
)
def verifier_keygen(out: Path) -> None:
    """Create an Ed25519 key pair; print the public key to register with the registry."""
    if out.exists():
        raise click.ClickException(f"{out} exists; not overwriting a key")
    key = Ed25519PrivateKey.generate()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(signing.private_pem(key))
    public = key.public_key()
    click.echo(f"kid {signing.kid(public)}")
    click.echo(f"public key {signing.b64url(signing.raw(public))}")


@verifier_group.command("sign")
@click.argument("statement", type=click.File("r", encoding="utf-8"))
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.File("rb"),
    help="the verifier's private key (PEM)",
)
def verifier_sign(statement: IO[str], key_file: IO[bytes]) -> None:
    """Sign a statement downloaded from the registry; prints the signature (base64url).

    Refuses a statement whose kid is not this key's, so the wrong key is caught here."""
    document = json.loads(statement.read())
    key = signing.load_private_key(key_file.read())
    if document.get("kid") != signing.kid(key.public_key()):
        raise click.ClickException("the statement names another key (kid); use that key")
    click.echo(signing.sign(document, key))


@click.group("verifiers")
def verifiers_group() -> None:
    """Verifiers, as the authority manages them."""


@verifiers_group.command("declare-tie")
@click.argument("verifier_code")
@click.argument("producer_code")
@click.option("--kind", required=True, type=click.Choice(list(ties.KINDS)))
@click.option("--note", default="", help=f"what the tie is (at most {ties.MAX_NOTE} characters)")
@with_appcontext
def verifiers_declare_tie(verifier_code: str, producer_code: str, kind: str, note: str) -> None:
    """Declare a verifier's tie to a cooperative (HTX): from then on the verifier may not
    decide its reports. Logged as declared by the operator (REGISTRY)."""
    try:
        tie = ties.declare_by_codes(
            db.session, verifier_code, producer_code, kind, by=None, note=note
        )
    except DomainError as exc:
        db.session.rollback()
        for name, messages in localise(exc.errors or {"_": [exc.title]}).items():
            click.echo(f"error: {name}: {' '.join(messages)}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"tie of {tie.verifier.code} with {tie.producer.code} ({kind}) declared")


def init_app(app: Flask) -> None:
    for command in (
        migrate_command,
        org_group,
        user_group,
        demo_command,
        keys_group,
        log_group,
        mrv_group,
        verifier_group,
        verifiers_group,
        label_group,
        reports_group,
        tokens_group,
    ):
        app.cli.add_command(command)


def cli_group() -> FlaskGroup:
    """`registry`: Flask's group with the app's commands; its `run` also starts the embedded
    background-job worker where the database is SQLite (registry/jobs/cli.py)."""
    from registry import create_app
    from registry.jobs.cli import run_command

    group = FlaskGroup(create_app=create_app, help="The Low-Emission Label Registry.")
    group.add_command(run_command)
    return group


def main() -> None:
    """Console-script entry point."""
    cli_group()()
