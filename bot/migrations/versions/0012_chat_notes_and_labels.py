"""private notes, labels and viewers of chats (staff inbox teamwork)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 02:34:01
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_label',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['staff_member.id'], name=op.f('fk_chat_label_added_by_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_chat_label_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'label', name=op.f('pk_chat_label'))
    )
    with op.batch_alter_table('chat_label', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_label_label'), ['label'], unique=False)

    op.create_table('chat_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_chat_note_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_chat_note_staff_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_note'))
    )
    with op.batch_alter_table('chat_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_note_customer_id'), ['customer_id'], unique=False)

    op.create_table('chat_viewer',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_chat_viewer_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_chat_viewer_staff_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'staff_id', name=op.f('pk_chat_viewer'))
    )



def downgrade() -> None:
    op.drop_table('chat_viewer')
    with op.batch_alter_table('chat_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_note_customer_id'))

    op.drop_table('chat_note')
    with op.batch_alter_table('chat_label', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_label_label'))

    op.drop_table('chat_label')
