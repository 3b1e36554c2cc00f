"""case handler: the named person who handles a case, and the case a duplicate merged into

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 18:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handler', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('merged_into_case_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_cases_handler', ['handler'], unique=False)
        batch_op.create_foreign_key('fk_cases_merged_into', 'cases', ['merged_into_case_id'],
                                    ['id'])


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cases_merged_into', type_='foreignkey')
        batch_op.drop_index('ix_cases_handler')
        batch_op.drop_column('merged_into_case_id')
        batch_op.drop_column('handler')
