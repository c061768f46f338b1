"""categories by edition: the periods each official category band is valid for

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing bands get no bounds: one edition for every period, until the catalogue is
    # seeded again (`mata-garuda db upgrade` does it).
    with op.batch_alter_table('indicator_category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_from', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('valid_to', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('indicator_category', schema=None) as batch_op:
        batch_op.drop_column('valid_to')
        batch_op.drop_column('valid_from')
