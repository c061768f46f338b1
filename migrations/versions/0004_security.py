"""sessions that can be ended, sign-in throttling by address, a hash-chained audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from auth.audit import GENESIS, chain_hash

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempt_remote_addr'), ['remote_addr'],
                              unique=False)
    head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('entries', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))

    # Chain the entries already there, oldest first.
    conn = op.get_bind()
    log = sa.table('audit_log', sa.column('id'), sa.column('at', sa.DateTime(timezone=True)),
                   sa.column('username'), sa.column('action'), sa.column('target'),
                   sa.column('detail'), sa.column('remote_addr'), sa.column('chain_hash'))
    previous, count = GENESIS, 0
    for row in conn.execute(sa.select(log).order_by(log.c.id)).mappings().all():
        previous = chain_hash(previous, dict(row))
        count += 1
        conn.execute(sa.update(log).where(log.c.id == row['id']).values(chain_hash=previous))
    if count:  # else the first entry makes it (auth.audit.audit)
        conn.execute(sa.insert(head).values(id=1, entries=count, hash=previous))

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('chain_hash', existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('chain_hash')
    op.drop_table('audit_head')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempt_remote_addr'))
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
