"""hardening: sign-in throttle, idle sessions, sanitised HTML kept, held scans

``inbound_mail.safe_html`` starts NULL for mail already there: the console sanitises
such a mail the first time it is shown and keeps the result (a lazy backfill).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:20:00
"""
from alembic import op
import sqlalchemy as sa
import pipeline.db.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', pipeline.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', pipeline.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', pipeline.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('wait_seconds', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_throttle'))
    )
    with op.batch_alter_table('inbound_mail') as batch:
        batch.add_column(sa.Column('safe_html', sa.Text(), nullable=True))
    with op.batch_alter_table('staff_sessions') as batch:
        batch.add_column(sa.Column('last_seen_at', pipeline.db.base.UTCDateTime(timezone=True),
                                   nullable=True))
    with op.batch_alter_table('letter_scans') as batch:
        batch.add_column(sa.Column('released_by', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('letter_scans') as batch:
        batch.drop_column('released_by')
    with op.batch_alter_table('staff_sessions') as batch:
        batch.drop_column('last_seen_at')
    with op.batch_alter_table('inbound_mail') as batch:
        batch.drop_column('safe_html')
    op.drop_table('sign_in_throttle')
