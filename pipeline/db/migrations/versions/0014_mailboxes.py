"""mailboxes: which mailbox a mail came in through, and which one a case answers from

Existing mail and cases belong to the single mailbox of before, key 'default'.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailbox', sa.String(length=32), nullable=False,
                                      server_default='default'))
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailbox', sa.String(length=32), nullable=False,
                                      server_default='default'))


def downgrade() -> None:
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.drop_column('mailbox')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('mailbox')
