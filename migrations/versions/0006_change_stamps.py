"""change stamps: a counter per component, moved by triggers at every write to its data (issue 17)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from portal_app.data.change_stamps import SHARED_DATA, OWN_COMPONENT, Rule, install, uninstall


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The tables as they stand at this revision and how each names its component (portal_app/data/change_stamps.py).
# A later migration that adds a table, or rebuilds one on SQLite (batch mode drops its triggers), installs its
# triggers again; tests/data/test_change_stamps.py checks every table at head.
RULES = {
    'series': SHARED_DATA,
    'centre': SHARED_DATA,
    'candidate': SHARED_DATA,
    'marks_export': SHARED_DATA,
    'moderation_export': SHARED_DATA,
    'moderation_export_item': SHARED_DATA,
    'component': Rule('id'),
    'component_status_code': OWN_COMPONENT,
    'entry': OWN_COMPONENT,
    'allocation': OWN_COMPONENT,
    'examiner_centre': OWN_COMPONENT,
    'team_membership': OWN_COMPONENT,
    'mark': Rule('entry_id', via='entry'),
    'exported_mark': Rule('entry_id', via='entry'),
    'moderation_sample': Rule('entry_id', via='entry'),
    'allocation_centre': Rule('allocation_id', via='allocation'),
    'marking_extension': Rule('allocation_id', via='allocation'),
    'moderation_report': Rule('allocation_id', via='allocation'),
}


def upgrade() -> None:
    """Add change_stamp and the triggers that move it."""
    op.create_table('change_stamp',
    sa.Column('component_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('component_id', name=op.f('pk_change_stamp'))
    )
    install(op.get_bind(), RULES)


def downgrade() -> None:
    """Drop the triggers and change_stamp."""
    uninstall(op.get_bind(), list(RULES))
    op.drop_table('change_stamp')
