"""trace and labels: batches carry the CO2 orchards took up per kg; labels their crop too

Revision ID: 149b898a90fe
Revises: 9b3e6d1f4a27
Create Date: 2026-12-09 04:00:00

A batch keeps `removals_kg_co2_per_kg`, the CO2 its orchard's trees took up per kg of the
product (DESIGN.md §10b), carried through steps as the emission intensity is and never
netted into it; None for crops that take up none. A label snapshots it at issuance with
the crop its product comes from, for the status contract (DESIGN.md §7, issue 20).

Existing rows: batches of crops without a tree stand (rice, annual crops) stay None, which
is what they carry. Batches of orchard crops (possible only since the products of every
crop, c0f3a8e51d27) are worked out again in id order, parents before children, as the
service does: a harvest from the approved results it drew on, a split or merge from its
parents by kg, a processing step's output from its parents' kg-weighted figure times the
step's input, its share of it (`fraction` in the derivation) over its own kg. Their
derivation documents stay as they were written. Labels take the crop of their product
(the catalogue, registry/crops) and their batch's removals.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "149b898a90fe"
down_revision = "9b3e6d1f4a27"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("batches") as batch_op:
        batch_op.add_column(sa.Column("removals_kg_co2_per_kg", sa.Float(), nullable=True))
    with op.batch_alter_table("labels") as batch_op:
        batch_op.add_column(sa.Column("crop", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("removals_kg_co2_per_kg", sa.Float(), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("labels") as batch_op:
        batch_op.alter_column("crop", existing_type=sa.String(length=20), nullable=False)


def _backfill(conn):
    from registry import crops  # the catalogue files: which product is of which crop

    def crop_of(product):
        found = crops.products().get(product)
        return crops.DEFAULT if found is None else found.crop  # none: only rice predates it

    def takes_up(product):
        return crops.get(crop_of(product)).kind.tree_stand

    batches = conn.execute(
        sa.text("SELECT id, product, step, quantity_g, derivation FROM batches ORDER BY id")
    ).all()
    removals = {}
    for batch_id, product, step, quantity_g, derivation in batches:
        if not takes_up(product):
            continue
        found = _removals(conn, batch_id, step, quantity_g, _json(derivation), removals)
        removals[batch_id] = found
        conn.execute(
            sa.text("UPDATE batches SET removals_kg_co2_per_kg = :r WHERE id = :id"),
            {"r": found, "id": batch_id},
        )
    labels = conn.execute(sa.text("SELECT DISTINCT product FROM labels")).scalars().all()
    for product in labels:
        conn.execute(
            sa.text("UPDATE labels SET crop = :crop WHERE product = :product"),
            {"crop": crop_of(product), "product": product},
        )
    for batch_id, found in removals.items():
        if found is not None:
            conn.execute(
                sa.text("UPDATE labels SET removals_kg_co2_per_kg = :r WHERE batch_id = :id"),
                {"r": round(found, 3), "id": batch_id},
            )


def _json(value):
    import json

    return json.loads(value) if isinstance(value, str) else (value or {})


def _removals(conn, batch_id, step, quantity_g, derivation, known):
    """The batch's removals per kg from its inputs, as registry/trace/batches.py makes it."""
    if step == "harvest":
        rows = conn.execute(
            sa.text(
                "SELECT i.grams, r.yield_kg, r.result FROM batch_inputs i"
                " JOIN emission_results r ON r.id = i.result_id WHERE i.batch_id = :id"
            ),
            {"id": batch_id},
        ).all()
        parts = [
            (g, float(_json(result).get("removals_kg_co2") or 0.0) / y if y else 0.0)
            for g, y, result in rows
        ]
    else:
        rows = conn.execute(
            sa.text("SELECT parent_id, grams FROM batch_inputs WHERE batch_id = :id"),
            {"id": batch_id},
        ).all()
        parts = [(g, known.get(parent)) for parent, g in rows]
    if not parts or any(r is None for _, r in parts):
        return None
    mean = sum(g * r for g, r in parts) / sum(g for g, _ in parts)
    facts = derivation.get("step")
    if step in ("harvest", "split", "merge") or not facts:
        return mean
    own = conn.execute(sa.text("SELECT lot_code FROM batches WHERE id = :id"), {"id": batch_id})
    lot = own.scalar()
    fraction = next((o["fraction"] for o in facts.get("outputs", []) if o.get("lot") == lot), None)
    if fraction is None:
        return None
    return mean * facts["input_kg"] * fraction / (quantity_g / 1000)


def downgrade():
    with op.batch_alter_table("labels") as batch_op:
        batch_op.drop_column("removals_kg_co2_per_kg")
        batch_op.drop_column("crop")
    with op.batch_alter_table("batches") as batch_op:
        batch_op.drop_column("removals_kg_co2_per_kg")
