"""Each key of an article carries the article's story, in an index that answers "the
stories of the latest articles under this key near this time" by itself: placing an
article no longer reads one article row per match (hundreds at a million articles). And
an article's keys and bands are found by its id: updating or deleting an article scanned
both tables (seconds at a million articles, with the write lock held).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_article_keys_key_published", table_name="article_keys")
    op.add_column("article_keys", sa.Column("story_id", sa.Integer(), nullable=True))
    # A key is filed once its article has a story, and an article never changes story.
    op.execute(
        sa.text(
            "UPDATE article_keys SET story_id ="
            " (SELECT articles.story_id FROM articles WHERE articles.id = article_keys.article_id)"
        )
    )
    op.create_index(
        "ix_article_keys_window",
        "article_keys",
        ["key", "published_at", "article_id", "story_id"],
    )
    op.create_index("ix_article_keys_article", "article_keys", ["article_id"])
    op.create_index("ix_article_bands_article", "article_bands", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_article_bands_article", table_name="article_bands")
    op.drop_index("ix_article_keys_article", table_name="article_keys")
    op.drop_index("ix_article_keys_window", table_name="article_keys")
    op.create_index("ix_article_keys_key_published", "article_keys", ["key", "published_at"])
    with op.batch_alter_table("article_keys", recreate="never") as batch_op:
        batch_op.drop_column("story_id")
