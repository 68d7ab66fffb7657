"""staff and handoffs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 04:56:49.475437
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_login_throttle'))
    )
    op.create_table('staff_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_member')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_member_email'))
    )
    op.create_table('handoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.String(length=128), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_to', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_by', sa.Integer(), nullable=True),
    sa.Column('last_staff_reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=24), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to'], ['staff_member.id'], name=op.f('fk_handoff_assigned_to_staff_member')),
    sa.ForeignKeyConstraint(['closed_by'], ['staff_member.id'], name=op.f('fk_handoff_closed_by_staff_member')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_handoff_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['first_response_by'], ['staff_member.id'], name=op.f('fk_handoff_first_response_by_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff'))
    )
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_customer_id'), ['customer_id', 'opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_return_at'), ['return_at'], unique=False)
        batch_op.create_index('uq_handoff_open_customer', ['customer_id'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbound_message_staff_id_staff_member'), 'staff_member', ['staff_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbound_message_staff_id_staff_member'), type_='foreignkey')
        batch_op.drop_column('staff_id')

    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.drop_index('uq_handoff_open_customer', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_handoff_return_at'))
        batch_op.drop_index(batch_op.f('ix_handoff_opened_at'))
        batch_op.drop_index(batch_op.f('ix_handoff_customer_id'))

    op.drop_table('handoff')
    op.drop_table('staff_member')
    op.drop_table('login_throttle')
