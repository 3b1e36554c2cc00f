"""recurring notes: root-cause notes on recurring problems

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 01:05:00
"""
from alembic import op
import sqlalchemy as sa
import pipeline.db.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recurring_notes',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', pipeline.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_recurring_notes'))
    )


def downgrade() -> None:
    op.drop_table('recurring_notes')
