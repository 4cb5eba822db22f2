"""Whether a story already has an article from an outlet is one index look-up: an article
joining a story of thousands moves its outlet count without counting them all again.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_story_outlet", "articles", ["story_id", "outlet_id"])


def downgrade() -> None:
    op.drop_index("ix_articles_story_outlet", table_name="articles")
