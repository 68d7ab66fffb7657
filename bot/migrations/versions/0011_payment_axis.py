"""payment and fulfilment as two axes; customer updates combined within a window

An order's `status` keeps where it is (pending ... delivered, cancelled); the
new `payment_status` says whether it is paid. Orders at the old chain's
payment steps move to `confirmed` with that payment status; a refunded order
keeps `delivered` when it was delivered, else it was cancelled.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 02:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shop_order') as batch:
        batch.add_column(sa.Column('payment_status', sa.String(length=24), nullable=False,
                                   server_default='unpaid'))
        batch.add_column(sa.Column('update_due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('pending_update', sa.String(length=24), nullable=True))
        batch.create_index(op.f('ix_shop_order_update_due_at'), ['update_due_at'], unique=False)
    op.execute("UPDATE shop_order SET payment_status = 'paid' WHERE paid_at IS NOT NULL")
    op.execute("UPDATE shop_order SET payment_status = 'cash_on_delivery' WHERE payment_status = 'unpaid' "
               "AND EXISTS (SELECT 1 FROM order_history h WHERE h.order_id = shop_order.id "
               "AND h.to_status = 'cash_on_delivery')")
    op.execute("UPDATE shop_order SET payment_status = 'cash_on_delivery', status = 'confirmed' "
               "WHERE status = 'cash_on_delivery'")
    op.execute("UPDATE shop_order SET payment_status = 'paid', status = 'confirmed' WHERE status = 'paid'")
    op.execute("UPDATE shop_order SET payment_status = 'refunded', status = CASE WHEN EXISTS ("
               "SELECT 1 FROM order_history h WHERE h.order_id = shop_order.id AND h.to_status = 'delivered') "
               "THEN 'delivered' ELSE 'cancelled' END WHERE status = 'refunded'")


def downgrade() -> None:
    op.execute("UPDATE shop_order SET status = 'refunded' WHERE payment_status = 'refunded'")
    op.execute("UPDATE shop_order SET status = payment_status WHERE status = 'confirmed' "
               "AND payment_status IN ('paid', 'cash_on_delivery')")
    with op.batch_alter_table('shop_order') as batch:
        batch.drop_index(op.f('ix_shop_order_update_due_at'))
        batch.drop_column('pending_update')
        batch.drop_column('update_due_at')
        batch.drop_column('payment_status')
