"""held carrier events: unique per carrier and event id, listed by outcome

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 12:00:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('carrier_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_carrier_event_event_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_carrier_event_carrier'), ['carrier', 'event_id'])
        batch_op.create_index(batch_op.f('ix_carrier_event_outcome'), ['outcome', 'received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('carrier_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carrier_event_outcome'))
        batch_op.drop_constraint(batch_op.f('uq_carrier_event_carrier'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_carrier_event_event_id'), ['event_id'])
