"""values computed from records: observation.records, source kind agregat, indicator.from_records

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_KINDS_BEFORE = "source_kind IN ('published', 'simulasi', 'entry')"
_KINDS_AFTER = "source_kind IN ('published', 'simulasi', 'entry', 'agregat')"


def upgrade() -> None:
    # Values stored before hold no record count (NULL: not computed from records).
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('records', sa.BigInteger(), nullable=True))
        batch_op.drop_constraint(op.f('ck_observation_source_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_observation_source_kind_known'), _KINDS_AFTER)
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_records', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_column('from_records')
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_observation_source_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_observation_source_kind_known'), _KINDS_BEFORE)
        batch_op.drop_column('records')
