"""report indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 05:28:51.499351
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_event_kind'))
        batch_op.create_index(batch_op.f('ix_conversation_event_kind'), ['kind', 'at', 'customer_id'], unique=False)

    with op.batch_alter_table('inbound_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_event_customer_id'), ['customer_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_event_kind'), ['kind', 'received_at', 'customer_id'], unique=False)

    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_history_to_status'), ['to_status', 'at'], unique=False)

    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_order_created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_order_created_at'))

    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_history_to_status'))

    with op.batch_alter_table('inbound_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_event_kind'))
        batch_op.drop_index(batch_op.f('ix_inbound_event_customer_id'))

    with op.batch_alter_table('conversation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_event_kind'))
        batch_op.create_index(batch_op.f('ix_conversation_event_kind'), ['kind', 'at'], unique=False)

