"""broadcasts: campaigns and their recipients, one row each (issue 17)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 13:30:00

A campaign sends one approved template to an audience. Each recipient is a row, unique per
(campaign, customer), that moves from pending to queued in the transaction that writes its outbox
row: a worker killed mid-run leaves every recipient either untouched or queued, so the campaign
resumes where it stopped and sends each customer exactly once. `queued_at` (indexed) with
`outside_window` counts the customers reached outside their 24-hour window in a moving 24 hours,
Meta's messaging limit.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template', sa.String(length=512), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('audience', sa.String(length=256), nullable=False),
    sa.Column('audience_total', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paused_reason', sa.Text(), nullable=True),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signals_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_status'), ['status', 'start_at'], unique=False)

    op.create_table('campaign_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('skip_reason', sa.String(length=128), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outside_window', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_recipient_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_campaign_recipient_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbound_message.id'], name=op.f('fk_campaign_recipient_outbox_id_outbound_message'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_recipient')),
    sa.UniqueConstraint('campaign_id', 'customer_id', name=op.f('uq_campaign_recipient_campaign_id'))
    )
    with op.batch_alter_table('campaign_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_recipient_campaign_id'), ['campaign_id', 'status', 'id'],
                              unique=False)
        batch_op.create_index('ix_campaign_recipient_counted', ['queued_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('campaign_recipient', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_recipient_counted')
        batch_op.drop_index(batch_op.f('ix_campaign_recipient_campaign_id'))

    op.drop_table('campaign_recipient')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_status'))

    op.drop_table('campaign')
