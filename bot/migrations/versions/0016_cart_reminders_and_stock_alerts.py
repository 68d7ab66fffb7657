"""conversation.cart_idle_since and stock_alert: abandoned-cart reminders and back-in-stock alerts (issue 17)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 14:00:00

A cart left untouched gets one reminder: `cart_idle_since` says since when it has waited (set by a
change, cleared by the reminder or an order), indexed for the sender's sweep. A customer who meets a
sold-out product can ask to hear when it is back: one `stock_alert` row, waiting until it is sent
(`sent_at`); the partial unique index keeps one waiting alert per customer, product and option.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

WAITING = sa.text('sent_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cart_idle_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversation_cart_idle_since'), ['cart_idle_since'], unique=False)

    op.create_table('stock_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_stock_alert_customer_id_customer'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_alert'))
    )
    op.create_index('uq_stock_alert_waiting', 'stock_alert', ['customer_id', 'product_id', 'sku'], unique=True,
                    postgresql_where=WAITING, sqlite_where=WAITING)
    op.create_index('ix_stock_alert_waiting', 'stock_alert', ['product_id'], unique=False,
                    postgresql_where=WAITING, sqlite_where=WAITING)


def downgrade() -> None:
    op.drop_index('ix_stock_alert_waiting', table_name='stock_alert', postgresql_where=WAITING, sqlite_where=WAITING)
    op.drop_index('uq_stock_alert_waiting', table_name='stock_alert', postgresql_where=WAITING, sqlite_where=WAITING)
    op.drop_table('stock_alert')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_cart_idle_since'))
        batch_op.drop_column('cart_idle_since')
