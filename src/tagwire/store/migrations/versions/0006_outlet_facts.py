"""Who is speaking: each outlet's country (ISO 3166-1 alpha-2), ownership and whether it is
state-affiliated, from the bundled outlet facts or the user.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = (
    ("country", sa.String(length=2)),
    ("ownership", sa.Text()),
    ("state_affiliated", sa.Boolean()),
)


def upgrade() -> None:
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    # SQLite drops the columns in place (3.35+): copying the table would trip the foreign
    # keys of feeds and articles that point at it.
    with op.batch_alter_table("outlets", schema=None, recreate="never") as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
