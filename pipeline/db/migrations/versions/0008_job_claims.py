"""job claims: a claim token on every job row, and one Message-ID claim per mail

The token fences a worker's writes on a row it claimed (a worker whose claim was
taken over updates nothing). The Message-ID claims start from the mails already
processed, so an old mail delivered again is still recognised as a copy.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_TABLES = ('inbound_mail', 'letter_scans', 'outbound_mail')


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
    op.create_table('message_id_claims',
    sa.Column('message_id', sa.String(length=998), nullable=False),
    sa.Column('inbound_mail_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['inbound_mail_id'], ['inbound_mail.id'], name=op.f('fk_message_id_claims_inbound_mail_id_inbound_mail')),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_message_id_claims'))
    )
    op.execute(
        "INSERT INTO message_id_claims (message_id, inbound_mail_id) "
        "SELECT message_id, min(id) FROM inbound_mail "
        "WHERE status = 'processed' AND message_id IS NOT NULL GROUP BY message_id"
    )


def downgrade() -> None:
    op.drop_table('message_id_claims')
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('claim_token')
