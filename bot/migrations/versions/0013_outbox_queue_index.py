"""the outbox's queue in partial indexes of the rows not sent yet; delivery statuses update in place

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 11:30:00

Every reply's row is updated four or five times (claimed, sent, delivered, read). With `status`
in an index, each of those updates wrote a new entry into every index of the table, and the
sender's claim walked the status index's dead entries on every round, slower as traffic grew
(issue 14). The queue is now found through two small partial indexes of the rows not sent yet
(`sent_at IS NULL`: every queued, sending or unconfirmed row), and `status` is in no index, so
claiming a row and the delivered and read webhooks are HOT updates on PostgreSQL (room left in
each page by fillfactor 70).
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

UNSENT = sa.text("sent_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_message_status'))
        batch_op.create_index('ix_outbound_message_queue', ['id'], unique=False,
                              postgresql_where=UNSENT, sqlite_where=UNSENT)
        batch_op.create_index('ix_outbound_message_unsent', ['customer_id', 'id'], unique=False,
                              postgresql_where=UNSENT, sqlite_where=UNSENT)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbound_message SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbound_message RESET (fillfactor)")
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_message_unsent')
        batch_op.drop_index('ix_outbound_message_queue')
        batch_op.create_index(batch_op.f('ix_outbound_message_status'), ['status', 'next_attempt_at'], unique=False)
