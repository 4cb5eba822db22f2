"""Stories and duplicates: a story per event across outlets, each article's story, the
article it repeats, its story features and MinHash signature, and the LSH bands through
which duplicates are found.

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("outlet_count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_stories_last_seen", "stories", ["last_seen_at"])
    op.create_table(
        "article_keys",
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_article_keys_key_published", "article_keys", ["key", "published_at"])
    op.create_table(
        "article_bands",
        sa.Column("band", sa.String(length=40), primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("story_features", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("signature", sa.JSON(), nullable=True))
        batch_op.create_index("ix_articles_story", ["story_id", "published_at", "id"])
    # Articles stored before stories existed are tagged again, and placed in their story on
    # the way (``tagwire retag``, or a running ``tagwire serve`` a share each round).
    op.execute(sa.text("UPDATE articles SET tagged_with = NULL"))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_story")
        batch_op.drop_column("signature")
        batch_op.drop_column("story_features")
        batch_op.drop_column("duplicate_of")
        batch_op.drop_column("story_id")
    op.drop_table("article_bands")
    op.drop_index("ix_article_keys_key_published", table_name="article_keys")
    op.drop_table("article_keys")
    op.drop_index("ix_stories_last_seen", table_name="stories")
    op.drop_table("stories")
