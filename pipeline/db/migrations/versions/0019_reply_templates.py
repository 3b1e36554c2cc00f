"""staff replies: reusable reply templates, and when the customer last wrote unanswered

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 18:40:00
"""
from alembic import op
import sqlalchemy as sa

from pipeline.db.base import UTCDateTime


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reply_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.String(length=100), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', 'language', name='uq_reply_template_name'),
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_wrote_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_cases_customer_wrote_at', ['customer_wrote_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_customer_wrote_at')
        batch_op.drop_column('customer_wrote_at')
    op.drop_table('reply_templates')
