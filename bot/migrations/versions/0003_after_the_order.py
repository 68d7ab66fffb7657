"""after the order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 03:37:38.156101
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('number_sequence',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_number_sequence'))
    )
    op.create_table('carrier_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=False),
    sa.Column('tracking_number', sa.String(length=128), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_carrier_event_order_id_shop_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_event')),
    sa.UniqueConstraint('event_id', name=op.f('uq_carrier_event_event_id'))
    )
    with op.batch_alter_table('carrier_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carrier_event_tracking_number'), ['tracking_number'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('filename', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_invoice_order_id_shop_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('number', name=op.f('uq_invoice_number')),
    sa.UniqueConstraint('order_id', name=op.f('uq_invoice_order_id'))
    )
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carrier', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('tracking_number', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('held_updates', sa.Integer(), nullable=False, server_default='0'))




def downgrade() -> None:

    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_column('held_updates')
        batch_op.drop_column('tracking_number')
        batch_op.drop_column('carrier')

    op.drop_table('invoice')
    with op.batch_alter_table('carrier_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carrier_event_tracking_number'))

    op.drop_table('carrier_event')
    op.drop_table('number_sequence')

