"""scan pages: each read letter page's OCR text and boxes, and per field where it was read

Cases read before this have no pages and no sources: their case page keeps the
download link, and the new column stays null.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scan_pages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scan_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('frame', sa.Integer(), nullable=False),
        sa.Column('angle', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('confidence', sa.Float(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('lines', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['scan_id'], ['letter_scans.id'], name=op.f('fk_scan_pages_scan_id_letter_scans')),
        sa.ForeignKeyConstraint(['file_id'], ['attachments.id'], name=op.f('fk_scan_pages_file_id_attachments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_pages')),
        sa.UniqueConstraint('scan_id', 'number', name='uq_scan_page'),
    )
    with op.batch_alter_table('scan_pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_pages_scan_id'), ['scan_id'], unique=False)
    with op.batch_alter_table('field_confidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sources', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('field_confidence', schema=None) as batch_op:
        batch_op.drop_column('sources')
    with op.batch_alter_table('scan_pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_pages_scan_id'))
    op.drop_table('scan_pages')
