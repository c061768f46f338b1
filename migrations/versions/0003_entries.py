"""values entered by offices: source kind 'entry' and a reason per version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Text(), server_default='', nullable=False))
        batch_op.drop_constraint(op.f('ck_observation_source_kind_known'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_observation_source_kind_known'),
            "source_kind IN ('published', 'simulasi', 'entry')")


def downgrade() -> None:
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_observation_source_kind_known'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_observation_source_kind_known'), "source_kind IN ('published', 'simulasi')")
        batch_op.drop_column('reason')
