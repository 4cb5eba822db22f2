"""Categories: where each article's category came from ("publisher" or "classifier") and the
classifier's confidence; stored categories renamed onto the IPTC-aligned taxonomy.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from tagwire.enrich.category import DROPPED, RENAMED

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category_source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("category_confidence", sa.Float(), nullable=True))
    rename_categories()


def rename_categories() -> None:
    """Old names onto new ones; every stored category so far came from the publisher."""
    articles = sa.table("articles", sa.column("category"), sa.column("category_source", sa.String))
    bind = op.get_bind()
    for old, new in RENAMED.items():
        bind.execute(articles.update().where(articles.c.category == old).values(category=new))
    bind.execute(articles.update().where(articles.c.category.in_(DROPPED)).values(category=None))
    bind.execute(
        articles.update()
        .where(articles.c.category.is_not(None))
        .values(category_source="publisher")
    )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("category_confidence")
        batch_op.drop_column("category_source")
