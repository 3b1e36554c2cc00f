"""template versions: admins' overrides of letter templates, every saved version kept

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 18:30:00
"""
from alembic import op
import sqlalchemy as sa

from pipeline.db.base import UTCDateTime


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'template_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('saved_by', sa.String(length=100), nullable=False),
        sa.Column('saved_at', UTCDateTime(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_template_versions')),
        sa.UniqueConstraint('name', 'version', name='uq_template_versions_name'),
    )


def downgrade() -> None:
    op.drop_table('template_versions')
