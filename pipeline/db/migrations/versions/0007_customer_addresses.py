"""customer addresses per case, verified correspondence, hourly acknowledgment budget

Existing cases keep acting on mail from their customer: each case's customer_email
and the address its complaint came from become its first verified addresses.
Existing correspondence counts as verified (it was threaded under the old rules).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:30:00
"""
from alembic import op
import sqlalchemy as sa
import pipeline.db.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# UNION removes the duplicate when the case's address is also its sender's.
_BACKFILL = """
INSERT INTO case_addresses (case_id, address, verified, source, added_by, added_at)
SELECT case_id, address, {true}, 'backfill', 'migration', {now} FROM (
  SELECT id AS case_id, lower(customer_email) AS address FROM cases
  WHERE customer_email <> ''
  UNION
  SELECT m.case_id, lower(m.from_address) FROM inbound_mail m
  JOIN cases c ON c.id = m.case_id AND c.channel = 'email'
  WHERE m.classification = 'complaint' AND m.from_address <> ''
) known
"""


def upgrade() -> None:
    op.create_table('case_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('added_by', sa.String(length=100), nullable=False),
    sa.Column('added_at', pipeline.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                            name=op.f('fk_case_addresses_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_addresses')),
    sa.UniqueConstraint('case_id', 'address', name='uq_case_address')
    )
    with op.batch_alter_table('correspondence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('from_address', sa.String(length=320), nullable=False,
                                      server_default=sa.text("''")))
    with op.batch_alter_table('outbound_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_auto_created', ['auto_reply', 'created_at'],
                              unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(_BACKFILL.format(true="true" if postgres else "1",
                                now="now()" if postgres else "CURRENT_TIMESTAMP"))


def downgrade() -> None:
    with op.batch_alter_table('outbound_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_auto_created')
    with op.batch_alter_table('correspondence', schema=None) as batch_op:
        batch_op.drop_column('from_address')
        batch_op.drop_column('verified')
    op.drop_table('case_addresses')
