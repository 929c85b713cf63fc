"""favourite services (My Favourites, per tid+oid)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add favourite_service."""
    op.create_table('favourite_service',
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('object_id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=63), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'object_id', 'service_id', name=op.f('pk_favourite_service'))
    )


def downgrade() -> None:
    """Drop favourite_service."""
    op.drop_table('favourite_service')
