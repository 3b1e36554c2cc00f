"""case facts and daily figures: what the period statistics read

The daily figures start empty with no state row: the first refresh (the scheduler's
next pass, or the first report) counts every day.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 03:20:00
"""
from alembic import op
import sqlalchemy as sa
import pipeline.db.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The facts of the cases already there, as pipeline/db/facts.py computes them
# (frozen here: a migration must keep meaning what it meant when it was written).
_BACKFILL = """
INSERT INTO case_facts (case_id, reference, received_at, department, channel, category,
  product, method, loss_amount, compensation_amount, close_seconds, ack_seconds,
  deadline_kept, score)
SELECT c.id, c.reference, c.received_at, coalesce(c.department, ''), c.channel, c.category,
  c.product, coalesce(r.method, ''), coalesce(r.loss_amount, 0),
  coalesce(r.compensation_amount, 0), {seconds_closed}, {seconds_ack},
  CASE WHEN c.closed_at IS NOT NULL AND d.due_at IS NOT NULL THEN c.closed_at <= d.due_at END,
  f.score
FROM cases c
LEFT JOIN resolutions r ON r.case_id = c.id AND r.status = 'approved' AND NOT EXISTS (
  SELECT 1 FROM resolutions n WHERE n.case_id = r.case_id AND n.status = 'approved'
  AND n.version > r.version)
LEFT JOIN case_deadlines d ON d.case_id = c.id
LEFT JOIN follow_ups f ON f.case_id = c.id
LEFT JOIN (SELECT case_id, min(sent_at) AS sent_at FROM outbound_mail
           WHERE kind = 'acknowledgment' AND sent_at IS NOT NULL GROUP BY case_id) a
  ON a.case_id = c.id
"""


def _seconds(later: str, earlier: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"extract(epoch from {later} - {earlier})::float"
    return f"(julianday({later}) - julianday({earlier})) * 86400.0"


def upgrade() -> None:
    op.create_table('case_facts',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('received_at', pipeline.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('loss_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('compensation_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('close_seconds', sa.Float(), nullable=True),
    sa.Column('ack_seconds', sa.Float(), nullable=True),
    sa.Column('deadline_kept', sa.Boolean(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_facts_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_facts'))
    )
    op.create_index(op.f('ix_case_facts_received_at'), 'case_facts', ['received_at'],
                    unique=False)
    op.create_index('ix_case_facts_product_received', 'case_facts', ['product', 'received_at'],
                    unique=False)
    op.create_table('daily_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('loss', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('compensation', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('with_deadline', sa.Integer(), nullable=False),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.Column('scores', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Integer(), nullable=False),
    *(sa.Column(f'closed_{index}', sa.Integer(), nullable=False) for index in range(6)),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_figures'))
    )
    op.create_index(op.f('ix_daily_figures_day'), 'daily_figures', ['day'], unique=False)
    op.create_table('stale_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('utc_day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stale_marks'))
    )
    op.create_table('daily_figures_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_figures_state'))
    )
    op.execute(_BACKFILL.format(seconds_closed=_seconds("c.closed_at", "c.received_at"),
                                seconds_ack=_seconds("a.sent_at", "c.received_at")))


def downgrade() -> None:
    op.drop_table('daily_figures_state')
    op.drop_table('stale_marks')
    op.drop_index(op.f('ix_daily_figures_day'), table_name='daily_figures')
    op.drop_table('daily_figures')
    op.drop_index('ix_case_facts_product_received', table_name='case_facts')
    op.drop_index(op.f('ix_case_facts_received_at'), table_name='case_facts')
    op.drop_table('case_facts')
