"""health and metrics: each mailbox's last poll, operation counters, OCR seconds per scan

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 15:40:00
"""
from alembic import op
import sqlalchemy as sa
import pipeline.db.base


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mailbox_polls',
        sa.Column('mailbox', sa.String(length=500), nullable=False),
        sa.Column('last_success_at', pipeline.db.base.UTCDateTime(), nullable=True),
        sa.Column('last_failure_at', pipeline.db.base.UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('mailbox'),
    )
    op.create_table(
        'ops_counters',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('value', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    with op.batch_alter_table('letter_scans') as batch:
        batch.add_column(sa.Column('ocr_seconds', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('letter_scans') as batch:
        batch.drop_column('ocr_seconds')
    op.drop_table('ops_counters')
    op.drop_table('mailbox_polls')
