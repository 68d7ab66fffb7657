"""messaging limit indexes: every template counted, and recipients found by their outbox row (issue 17 review)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 14:00:00

Meta's messaging limit counts every template a customer gets outside their 24-hour window, not only
broadcasts': `ix_outbound_message_counted` holds the templates not sent by a campaign, by time, so the
count that runs every second while a campaign waits reads that small index alone (its predicate is
repeated word for word by the query, bot.models.messages.COUNTED_TEMPLATES). `ix_campaign_recipient_outbox`
serves a pause taking queued recipients back by outbox id, and ON DELETE SET NULL when outbox rows are
deleted; only the queued rows have one. `campaign.waiting_until`: a campaign with no room in the limit
and no recipient inside their window is looked at again only from then, not every second.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# Frozen copies of bot.models.messages.COUNTED_TEMPLATES as of this revision.
COUNTED_PG = "(body ->> 'type') = 'template' AND (source IS NULL OR source NOT LIKE 'campaign:%')"
COUNTED_SQLITE = "json_extract(body, '$.type') = 'template' AND (source IS NULL OR source NOT LIKE 'campaign:%')"
QUEUED = sa.text("outbox_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_until', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_outbound_message_counted', 'outbound_message', ['created_at', 'customer_id'], unique=False,
                    postgresql_where=sa.text(COUNTED_PG), sqlite_where=sa.text(COUNTED_SQLITE))
    op.create_index('ix_campaign_recipient_outbox', 'campaign_recipient', ['outbox_id'], unique=False,
                    postgresql_where=QUEUED, sqlite_where=QUEUED)


def downgrade() -> None:
    op.drop_index('ix_campaign_recipient_outbox', table_name='campaign_recipient')
    op.drop_index('ix_outbound_message_counted', table_name='outbound_message')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('waiting_until')
