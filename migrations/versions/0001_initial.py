"""initial schema: regions, indicator catalogue, observations, targets

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('indicator',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('short_name', sa.String(length=64), nullable=False),
    sa.Column('name_id', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('publisher', sa.String(length=120), nullable=False),
    sa.Column('unit_id', sa.String(length=120), nullable=False),
    sa.Column('unit_en', sa.String(length=120), nullable=False),
    sa.Column('scale_min', sa.Float(), nullable=True),
    sa.Column('scale_max', sa.Float(), nullable=True),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('aggregation', sa.String(length=8), nullable=False),
    sa.Column('lowest_level', sa.String(length=12), nullable=False),
    sa.Column('cadence', sa.String(length=16), nullable=False),
    sa.Column('decimals', sa.Integer(), nullable=False),
    sa.Column('periods', sa.String(length=400), nullable=False),
    sa.Column('notes_id', sa.Text(), nullable=False),
    sa.Column('notes_en', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator'))
    )
    op.create_table('region',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('parent_code', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['parent_code'], ['region.code'], name=op.f('fk_region_parent_code_region')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_region'))
    )
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_region_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_region_parent_code'), ['parent_code'], unique=False)

    op.create_table('indicator_break',
    sa.Column('indicator_id', sa.String(length=40), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Text(), nullable=False),
    sa.Column('note_en', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_break_indicator_id_indicator')),
    sa.PrimaryKeyConstraint('indicator_id', 'period', name=op.f('pk_indicator_break'))
    )
    op.create_table('indicator_category',
    sa.Column('indicator_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.String(length=80), nullable=False),
    sa.Column('label_en', sa.String(length=80), nullable=False),
    sa.Column('min', sa.Float(), nullable=False),
    sa.Column('max', sa.Float(), nullable=False),
    sa.Column('include_min', sa.Boolean(), nullable=False),
    sa.Column('include_max', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_category_indicator_id_indicator')),
    sa.PrimaryKeyConstraint('indicator_id', 'position', name=op.f('pk_indicator_category'))
    )
    op.create_table('observation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('indicator_id', sa.String(length=40), nullable=False),
    sa.Column('region_code', sa.String(length=16), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source_kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('source_url', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('provenance', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source_kind IN ('published', 'simulasi')", name=op.f('ck_observation_source_kind_known')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_observation_version_positive')),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_observation_indicator_id_indicator')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_observation_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation')),
    sa.UniqueConstraint('indicator_id', 'region_code', 'period', 'source_kind', 'version', name=op.f('uq_observation_indicator_id'))
    )
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.create_index('ix_observation_lookup', ['indicator_id', 'period', 'region_code'], unique=False)

    op.create_table('target',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('indicator_id', sa.String(length=40), nullable=False),
    sa.Column('region_code', sa.String(length=16), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('target_low', sa.Float(), nullable=False),
    sa.Column('target_high', sa.Float(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source_url', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('provenance', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_target_indicator_id_indicator')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_target_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target')),
    sa.UniqueConstraint('indicator_id', 'region_code', 'period', 'version', name=op.f('uq_target_indicator_id'))
    )


    op.create_table('dataset_load',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=128), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_dataset_load'))
    )


def downgrade() -> None:
    op.drop_table('dataset_load')
    op.drop_table('target')
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_lookup')

    op.drop_table('observation')
    op.drop_table('indicator_category')
    op.drop_table('indicator_break')
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_parent_code'))
        batch_op.drop_index(batch_op.f('ix_region_level'))

    op.drop_table('region')
    op.drop_table('indicator')
