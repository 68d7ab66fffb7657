"""the sandbox page's feed, kept in the database across `shopbot run` restarts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sandbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wamid', sa.String(length=255), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_message')),
    sa.UniqueConstraint('wamid', name=op.f('uq_sandbox_message_wamid'))
    )
    op.create_index(op.f('ix_sandbox_message_recipient'), 'sandbox_message', ['recipient'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sandbox_message_recipient'), table_name='sandbox_message')
    op.drop_table('sandbox_message')
