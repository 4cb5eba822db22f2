"""An outlet's articles, newest first, by index: its page, its counts and the tag page's
outlet filter read them without going through the whole table.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_outlet_published", "articles", ["outlet_id", "published_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_articles_outlet_published", table_name="articles")
