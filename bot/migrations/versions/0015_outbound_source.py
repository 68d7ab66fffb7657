"""outbound_message.source: what a message sent first belongs to (issue 17)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:20:00

Campaigns and automations (abandoned cart, back in stock) report what they earned: sent,
delivered, read, replied, opted out, orders and revenue within 7 days of each message. The tag
sits on the outbox row, whose status the webhooks already move, so the results are one query.
The index is partial: replies and order updates (nearly every row) carry no source.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=40), nullable=True))
    op.create_index('ix_outbound_message_source', 'outbound_message', ['source', 'created_at'], unique=False,
                    postgresql_where=sa.text('source IS NOT NULL'), sqlite_where=sa.text('source IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_outbound_message_source', table_name='outbound_message',
                  postgresql_where=sa.text('source IS NOT NULL'), sqlite_where=sa.text('source IS NOT NULL'))
    op.drop_column('outbound_message', 'source')
