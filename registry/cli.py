"""The `registry` command: `registry migrate`, `registry org create`, `registry user
create`, `registry demo`, plus Flask's own `run` and `db` commands."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from registry.accounts import service
from registry.accounts.models import OrgKind, Role
from registry.db import db
from registry.errors import DomainError
from registry.places import PROVINCES


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
    """Load the demo organisations and users (idempotent)."""
    from registry.demo import load_demo

    created = load_demo(db.session)
    db.session.commit()
    click.echo(f"demo data loaded ({created} new records)" if created else "demo data present")


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Turn a broken rule into a one-line message and exit status 2, not a traceback."""
    try:
        yield
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def init_app(app: Flask) -> None:
    for command in (migrate_command, org_group, user_group, demo_command):
        app.cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    from registry import create_app

    FlaskGroup(create_app=create_app, help="The Low-Emission Label Registry.")()
