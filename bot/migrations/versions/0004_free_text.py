"""free text

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 03:49:37.234413
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('conversation_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=128), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_conversation_event_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_event'))
    )
    with op.batch_alter_table('conversation_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_event_customer_id'), ['customer_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_event_kind'), ['kind', 'at'], unique=False)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('opted_out_at')

    with op.batch_alter_table('conversation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_event_kind'))
        batch_op.drop_index(batch_op.f('ix_conversation_event_customer_id'))

    op.drop_table('conversation_event')

