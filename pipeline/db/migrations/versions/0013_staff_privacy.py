"""staff account life cycle and personal-data erasure

Users get a must-change-password flag and a mail address for reset links; one-time
reset links and a staff audit table are new; a case remembers when its personal data
was erased (so retention never erases twice).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 15:20:00
"""
from alembic import op
import sqlalchemy as sa
import pipeline.db.base


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                   server_default=sa.text('false')))
        batch.add_column(sa.Column('email', sa.String(length=320), nullable=False,
                                   server_default=''))
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('erased_at', pipeline.db.base.UTCDateTime(), nullable=True))
    op.create_table(
        'password_resets',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', pipeline.db.base.UTCDateTime(), nullable=False),
        sa.Column('expires_at', pipeline.db.base.UTCDateTime(), nullable=False),
        sa.Column('used_at', pipeline.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_password_resets_user_id_users')),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_password_resets')),
    )
    op.create_index(op.f('ix_password_resets_user_id'), 'password_resets', ['user_id'])
    op.create_table(
        'staff_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', pipeline.db.base.UTCDateTime(), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('target', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_audit')),
    )
    op.create_index(op.f('ix_staff_audit_at'), 'staff_audit', ['at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_staff_audit_at'), table_name='staff_audit')
    op.drop_table('staff_audit')
    op.drop_index(op.f('ix_password_resets_user_id'), table_name='password_resets')
    op.drop_table('password_resets')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('erased_at')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('email')
        batch.drop_column('must_change_password')
