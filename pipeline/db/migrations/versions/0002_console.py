"""staff console: users, sessions, trigram search indexes (PostgreSQL)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:40:00
"""
from alembic import op
import sqlalchemy as sa
import pipeline.db.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TRGM_COLUMNS = ("subject", "what_happened", "customer_name", "customer_email", "customer_phone",
                "reference")


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', pipeline.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', pipeline.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('staff_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', pipeline.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', pipeline.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staff_sessions'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_sessions_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_review_queue', ['received_at', 'id'], unique=False,
                              postgresql_where=sa.text("status = 'new'"),
                              sqlite_where=sa.text("status = 'new'"))
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_action_id', ['action', 'id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in TRGM_COLUMNS:
            op.create_index(f"ix_trgm_cases_{column}", "cases", [column], postgresql_using="gin",
                            postgresql_ops={column: "gin_trgm_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in TRGM_COLUMNS:
            op.drop_index(f"ix_trgm_cases_{column}", table_name="cases")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_review_queue')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_action_id')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_sessions_expires_at'))
    op.drop_table('staff_sessions')
    op.drop_table('users')
