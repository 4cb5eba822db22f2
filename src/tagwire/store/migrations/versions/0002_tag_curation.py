"""Tag curation: blocked tags, redirects (renamed or merged tags), who added an alias, a
folded alias for search-as-you-type, a log of curation changes, and each article's
tagging version so that ``tagwire retag`` knows what is out of date.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from tagwire.enrich.names import fold

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("blocked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("canonical_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("tag_aliases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="text")
        )
        batch_op.add_column(
            sa.Column("folded", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.create_index("ix_tag_aliases_folded", ["folded"], unique=False)
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tagged_with", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_articles_tagged_with", ["tagged_with"], unique=False)
    op.create_table(
        "tag_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("tag_slug", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    fill_folded_aliases()


def fill_folded_aliases() -> None:
    bind = op.get_bind()
    aliases = sa.table("tag_aliases", sa.column("id"), sa.column("alias"), sa.column("folded"))
    rows = bind.execute(sa.select(aliases.c.id, aliases.c.alias)).all()
    for row in rows:
        bind.execute(
            aliases.update().where(aliases.c.id == row.id).values(folded=fold(row.alias)[:300])
        )


def downgrade() -> None:
    op.drop_table("tag_changes")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_tagged_with")
        batch_op.drop_column("tagged_with")
    with op.batch_alter_table("tag_aliases", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_aliases_folded")
        batch_op.drop_column("folded")
        batch_op.drop_column("origin")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_column("canonical_id")
        batch_op.drop_column("blocked")
