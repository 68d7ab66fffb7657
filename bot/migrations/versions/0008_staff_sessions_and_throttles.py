"""staff sessions on the server; login throttles per address and per client

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:00:00

The throttle rows only hold recent failed logins, so the old table is
replaced rather than converted (its key changes from `email` to
(`scope`, `key`)); at worst a lock-out in progress ends at the upgrade.
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_staff_session_staff_id_staff_member'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_staff_id'), ['staff_id'], unique=False)

    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_login_throttle'))
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_login_throttle'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_staff_id'))
    op.drop_table('staff_session')
