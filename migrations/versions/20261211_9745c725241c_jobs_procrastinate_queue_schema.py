"""jobs: procrastinate's queue in PostgreSQL (nothing on SQLite)

Revision ID: 9745c725241c
Revises: 26867b560eba
Create Date: 2026-12-11 10:05:00

procrastinate (pinned to 3.10 in pyproject.toml) keeps its jobs, workers and periodic
deferrals in tables of the registry's own database, so a job commits with the change that
asks for it and is backed up with it. This applies the schema procrastinate 3.10 ships
(`procrastinate/sql/schema.sql`, equal to its SQL migrations up to 3.10 applied in order, but
in one transaction: those add enum values and use them, which PostgreSQL allows only once
the value is committed). Moving to a newer procrastinate: add an Alembic migration that runs
its new files from `procrastinate/sql/migrations` (each in its own transaction, as its Django
integration does), then raise the pin.

SQLite (the embedded default) keeps the queue in the running process's memory
(registry/jobs/queue.py), so there is nothing to create.
"""

from importlib import metadata, resources

from alembic import op

# revision identifiers, used by Alembic.
revision = "9745c725241c"
down_revision = "26867b560eba"
branch_labels = None
depends_on = None

VERSION = "3.10."


def _schema():
    found = metadata.version("procrastinate")
    if not found.startswith(VERSION):
        raise RuntimeError(f"this migration applies procrastinate {VERSION}x's schema, not {found}")
    return resources.files("procrastinate.sql").joinpath("schema.sql").read_text("utf-8")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    driver = op.get_bind().connection.driver_connection  # psycopg: no placeholders parsed
    driver.execute(_schema())


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
        "procrastinate_jobs, procrastinate_workers CASCADE"
    )
    # The functions too (trigger functions do not depend on a table or a type): left
    # behind, they make the next upgrade's CREATE FUNCTION fail.
    op.get_bind().connection.driver_connection.execute(DROP_FUNCTIONS)
    op.execute(
        "DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type, "
        "procrastinate_job_to_defer_v1 CASCADE"
    )


DROP_FUNCTIONS = """
DO $$
DECLARE found regprocedure;
BEGIN
    FOR found IN
        SELECT p.oid::regprocedure FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'
    LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || found || ' CASCADE';
    END LOOP;
END $$
"""
