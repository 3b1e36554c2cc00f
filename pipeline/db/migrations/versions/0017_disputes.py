"""disputes and silence: closing kinds, dispute rounds, the wait for the customer's answer

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 18:40:00
"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa

import pipeline.db.base


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_kind', sa.String(length=16), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('dispute_rounds', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_kind', sa.String(length=16), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('daily_figures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_no_reply', sa.Integer(), nullable=False,
                                      server_default='0'))
    # Every case closed before this closed on the customer's agreement.
    op.execute("UPDATE cases SET closing_kind = 'agreed' WHERE status = 'closed'")
    op.execute("UPDATE case_facts SET closing_kind = 'agreed' WHERE case_id IN "
               "(SELECT id FROM cases WHERE status = 'closed')")
    op.create_table(
        'agreement_waits',
        sa.Column('notice_id', sa.Integer(), sa.ForeignKey('notices.id'), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=False),
        sa.Column('remind_at', pipeline.db.base.UTCDateTime(), nullable=False),
        sa.Column('close_at', pipeline.db.base.UTCDateTime(), nullable=False),
        sa.Column('reminded_at', pipeline.db.base.UTCDateTime(), nullable=True),
        sa.Column('closed_at', pipeline.db.base.UTCDateTime(), nullable=True),
    )
    op.create_index('ix_agreement_waits_case_id', 'agreement_waits', ['case_id'])
    op.create_index('ix_agreement_waits_remind_at', 'agreement_waits', ['remind_at'])
    op.create_index('ix_agreement_waits_close_at', 'agreement_waits', ['close_at'])
    _wait_for_cases_already_waiting()


def _wait_for_cases_already_waiting() -> None:
    """Cases waiting for agreement at the upgrade get a wait on their newest notice.

    Counted from the upgrade with the built-in policy (7 and 14 days), not from the old
    notice: a customer silent for months gets a reminder a week from now, never a
    closing without one.
    """
    now = datetime.now(UTC)
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT MAX(n.id), n.case_id FROM notices n JOIN cases c ON c.id = n.case_id "
        "WHERE c.status = 'approved' AND n.kind = 'resolution' GROUP BY n.case_id")).all()
    if not rows:
        return
    waits = sa.table('agreement_waits', sa.column('notice_id', sa.Integer()),
                     sa.column('case_id', sa.Integer()),
                     sa.column('remind_at', pipeline.db.base.UTCDateTime()),
                     sa.column('close_at', pipeline.db.base.UTCDateTime()))
    op.bulk_insert(waits, [{"notice_id": notice_id, "case_id": case_id,
                            "remind_at": now + timedelta(days=7),
                            "close_at": now + timedelta(days=14)}
                           for notice_id, case_id in rows])


def downgrade() -> None:
    op.drop_table('agreement_waits')
    with op.batch_alter_table('daily_figures', schema=None) as batch_op:
        batch_op.drop_column('closed_no_reply')
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.drop_column('closing_kind')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('dispute_rounds')
        batch_op.drop_column('closing_kind')
