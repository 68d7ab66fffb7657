"""one send rate per phone number across senders; NOTIFY from the outbox itself

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:00:00

`send_pace` holds, per business phone number, when the next send may leave
(a GCRA every sender shares). On PostgreSQL a statement trigger on
`outbound_message` sends the NOTIFY that wakes the senders, so queueing a
reply costs no separate `pg_notify` round trip.
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('send_pace',
    sa.Column('phone_id', sa.String(length=64), nullable=False),
    sa.Column('next_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('phone_id', name=op.f('pk_send_pace'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION shopbot_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('shopbot_outbox', '');
                RETURN NULL;
            END $$""")
        op.execute("""
            CREATE TRIGGER outbound_message_notify AFTER INSERT ON outbound_message
            FOR EACH STATEMENT EXECUTE FUNCTION shopbot_outbox_notify()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS outbound_message_notify ON outbound_message")
        op.execute("DROP FUNCTION IF EXISTS shopbot_outbox_notify()")
    op.drop_table('send_pace')
