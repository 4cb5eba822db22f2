"""WebSub: each feed's hub, topic, callback token, secret, subscription state and lease.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("websub_hub", sa.Text()),
    ("websub_topic", sa.Text()),
    ("websub_token", sa.String(length=64)),
    ("websub_secret", sa.String(length=64)),
    ("websub_state", sa.String(length=16)),
    ("websub_requested_at", sa.DateTime(timezone=True)),
    ("websub_expires_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
