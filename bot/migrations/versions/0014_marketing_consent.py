"""marketing consent: each customer's answer, and the history of every change (issue 17)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 10:00:00

Marketing messages (campaigns, abandoned carts, back in stock) need the customer's opt-in; order
updates do not. The customer row holds the current answer, when and from where, so an audience is
a filter on that table; `consent_event` keeps every change (chat, checkout, website, import, "stop",
"start") so the owner can prove when and how consent was given.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marketing_opt_in', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('marketing_consent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('marketing_consent_source', sa.String(length=16), nullable=True))

    op.create_table('consent_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('opted_in', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=256), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_consent_event_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_event'))
    )
    with op.batch_alter_table('consent_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_event_customer_id'), ['customer_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consent_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_event_customer_id'))

    op.drop_table('consent_event')
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch would copy `customer` and drop the
    # original, which SQLite refuses while other tables' foreign keys point at it.
    for column in ('marketing_consent_source', 'marketing_consent_at', 'marketing_opt_in'):
        op.drop_column('customer', column)
