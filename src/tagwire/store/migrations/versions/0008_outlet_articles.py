"""An outlet's articles, newest first, by index: its page, its counts and the tag page's
outlet filter read them without going through the whole table. And who gave an outlet its
facts ("bundle" or "user"), so that facts a user cleared stay cleared.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_outlet_published", "articles", ["outlet_id", "published_at", "id"])
    op.add_column("outlets", sa.Column("facts_source", sa.String(length=16), nullable=True))
    outlets = sa.table(
        "outlets",
        sa.column("facts_source"),
        sa.column("country"),
        sa.column("ownership"),
        sa.column("state_affiliated"),
    )
    said = sa.or_(
        outlets.c.country.is_not(None),
        outlets.c.ownership.is_not(None),
        outlets.c.state_affiliated.is_not(None),
    )
    op.execute(outlets.update().where(said).values(facts_source="bundle"))


def downgrade() -> None:
    # SQLite drops the column in place (3.35+): copying the table would trip the foreign
    # keys of feeds and articles that point at it.
    with op.batch_alter_table("outlets", recreate="never") as batch_op:
        batch_op.drop_column("facts_source")
    op.drop_index("ix_articles_outlet_published", table_name="articles")
