"""the board's Welsh: series and component titles, status-code meanings (issue 18)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Nullable: the board gives Welsh for some data only, and pages show the English where it gave none.
COLUMNS = (
    ('series', 'title_cy', 200),
    ('component', 'title_cy', 200),
    ('component_status_code', 'meaning_cy', 100),
)


def upgrade() -> None:
    """Add series.title_cy, component.title_cy and component_status_code.meaning_cy."""
    for table, column, length in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.String(length=length), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    for table, column, _length in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
