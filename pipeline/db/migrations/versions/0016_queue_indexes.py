"""customer history indexes: a customer's other cases by phone, follow-ups and merges

The case page lists the customer's other cases (by mail address or phone), the case a
follow-up continues and the cases merged into it. Without these indexes each of those
lookups would read every case.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:00:00
"""
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_customer_phone', ['customer_phone'], unique=False)
        batch_op.create_index('ix_cases_follows_case_id', ['follows_case_id'], unique=False)
        batch_op.create_index('ix_cases_merged_into_case_id', ['merged_into_case_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_merged_into_case_id')
        batch_op.drop_index('ix_cases_follows_case_id')
        batch_op.drop_index('ix_cases_customer_phone')
