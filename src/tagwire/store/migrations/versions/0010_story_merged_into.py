"""A story a later article showed to be part of another gives it its articles and keeps
its row, pointing at that story: ``/stories/{id}`` of the absorbed story leads there.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stories", sa.Column("merged_into", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stories", recreate="never") as batch_op:
        batch_op.drop_column("merged_into")
