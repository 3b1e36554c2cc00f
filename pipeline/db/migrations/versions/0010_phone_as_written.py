"""phone as written: the customer's own form of the number on the case

The acknowledgment repeats the number the way the customer wrote it, never
re-formatted in a region we guessed. Old cases have none ("" = show the stored one).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(
            sa.Column('customer_phone_written', sa.String(length=60), nullable=False,
                      server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('customer_phone_written')
