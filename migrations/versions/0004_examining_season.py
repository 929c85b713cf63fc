"""examining: submit by centre, one examiner per centre, deadlines and extensions, script received, exports

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00

Existing examiner allocations become per-centre rows of ``examiner_centre``: a centre of a submitted
allocation is submitted (at the allocation's time), any other is open. The old schema let two examiner
allocations cover the same centre of a component; this revision keeps one owner per centre, chosen so that
no submitted work changes hands: the allocation that submitted it, else the one created first. The others
lose the centre (their ``allocation_centre`` row goes) and the audit records it with the actor
``operations / migration 0004``, so `portal import` or support can put things right.
"""
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the examining columns and tables, then give every examined centre its one owner."""
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marks_due_at', UTC_DATETIME, nullable=True))
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marks_due_at', UTC_DATETIME, nullable=True))
    with op.batch_alter_table('mark', schema=None) as batch_op:
        batch_op.add_column(sa.Column('script_received', sa.Boolean(), server_default=sa.true(), nullable=False))

    op.create_table('examiner_centre',
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', UTC_DATETIME, nullable=True),
    sa.Column('reopened_at', UTC_DATETIME, nullable=True),
    sa.Column('reopened_by_tenant_id', sa.String(length=36), nullable=True),
    sa.Column('reopened_by_object_id', sa.String(length=36), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'submitted')", name=op.f('ck_examiner_centre_status_known')),
    sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_examiner_centre_allocation_id_allocation')),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_examiner_centre_centre_id_centre')),
    sa.ForeignKeyConstraint(['component_id'], ['component.id'], name=op.f('fk_examiner_centre_component_id_component')),
    sa.PrimaryKeyConstraint('allocation_id', 'centre_id', name=op.f('pk_examiner_centre')),
    sa.UniqueConstraint('component_id', 'centre_id', name=op.f('uq_examiner_centre_component_id'))
    )
    op.create_table('marking_extension',
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('due_at', UTC_DATETIME, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_by_tenant_id', sa.String(length=36), nullable=False),
    sa.Column('granted_by_object_id', sa.String(length=36), nullable=False),
    sa.Column('granted_at', UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_marking_extension_allocation_id_allocation')),
    sa.PrimaryKeyConstraint('allocation_id', name=op.f('pk_marking_extension'))
    )
    op.create_table('marks_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('everything', sa.Boolean(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marks_export')),
    sa.UniqueConstraint('batch_id', name=op.f('uq_marks_export_batch_id'))
    )
    op.create_table('exported_mark',
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('examiner_mark', sa.Integer(), nullable=True),
    sa.Column('status_code', sa.String(length=8), nullable=True),
    sa.Column('submitted_at', UTC_DATETIME, nullable=False),
    sa.Column('withdrawn_at', UTC_DATETIME, nullable=True),
    sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_exported_mark_allocation_id_allocation')),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_exported_mark_entry_id_entry')),
    sa.ForeignKeyConstraint(['export_id'], ['marks_export.id'], name=op.f('fk_exported_mark_export_id_marks_export')),
    sa.PrimaryKeyConstraint('export_id', 'entry_id', name=op.f('pk_exported_mark'))
    )
    with op.batch_alter_table('exported_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exported_mark_entry_id'), ['entry_id'], unique=False)

    _give_each_examined_centre_one_owner(op.get_bind())


# Lightweight table descriptions: a migration must not import today's models, which keep changing.
allocation = sa.table('allocation', sa.column('id'), sa.column('component_id'), sa.column('role'),
                      sa.column('status'), sa.column('submitted_at'), sa.column('version'))
allocation_centre = sa.table('allocation_centre', sa.column('allocation_id'), sa.column('centre_id'))
examiner_centre = sa.table('examiner_centre', sa.column('allocation_id'), sa.column('centre_id'),
                           sa.column('component_id'), sa.column('status'), sa.column('submitted_at'))
centre = sa.table('centre', sa.column('id'), sa.column('number'))
candidate = sa.table('candidate', sa.column('id'), sa.column('centre_id'))
entry = sa.table('entry', sa.column('id'), sa.column('candidate_id'), sa.column('component_id'))
mark = sa.table('mark', sa.column('entry_id'), sa.column('version'))
audit_log = sa.table('audit_log', sa.column('at'), sa.column('actor_tenant_id'), sa.column('actor_object_id'),
                     sa.column('entity'), sa.column('entity_id'), sa.column('field'), sa.column('old_value'),
                     sa.column('new_value'))


def _give_each_examined_centre_one_owner(connection) -> None:
    held = connection.execute(
        sa.select(allocation.c.id, allocation.c.component_id, allocation.c.status, allocation.c.submitted_at,
                  allocation.c.version, allocation_centre.c.centre_id, centre.c.number)
        .join(allocation_centre, allocation_centre.c.allocation_id == allocation.c.id)
        .join(centre, centre.c.id == allocation_centre.c.centre_id)
        .where(allocation.c.role == 'examiner')
        # Per centre, the owner first: the allocation that submitted it, else the oldest.
        .order_by(allocation.c.component_id, allocation_centre.c.centre_id,
                  sa.case((allocation.c.status == 'submitted', 0), else_=1), allocation.c.id)
    ).all()
    owners: dict[tuple[int, int], tuple] = {}
    for row in held:
        key = (row.component_id, row.centre_id)
        if key not in owners:
            owners[key] = row
            connection.execute(sa.insert(examiner_centre).values(
                allocation_id=row.id, centre_id=row.centre_id, component_id=row.component_id,
                status='submitted' if row.status == 'submitted' else 'open',
                submitted_at=row.submitted_at if row.status == 'submitted' else None))
            continue
        owner = owners[key]
        connection.execute(sa.delete(allocation_centre).where(allocation_centre.c.allocation_id == row.id,
                                                              allocation_centre.c.centre_id == row.centre_id))
        connection.execute(sa.insert(audit_log).values(
            at=datetime.now(timezone.utc), actor_tenant_id='operations', actor_object_id='migration 0004',
            entity='allocation', entity_id=row.id, field=f'centre:{row.number}'[:32], old_value='allocated',
            new_value=f'kept by allocation {owner.id}: one examiner per centre'))
        # The owner's open tabs must see these entries as changed since they loaded (the other allocation may
        # have written them under its own version numbers).
        entries = sa.select(entry.c.id).join(candidate, candidate.c.id == entry.c.candidate_id).where(
            entry.c.component_id == row.component_id, candidate.c.centre_id == row.centre_id)
        connection.execute(sa.update(mark).where(mark.c.entry_id.in_(entries)).values(version=owner.version))


def downgrade() -> None:
    """Drop the examining tables and columns (per-centre submissions, extensions and export records go)."""
    with op.batch_alter_table('exported_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exported_mark_entry_id'))
    op.drop_table('exported_mark')
    op.drop_table('marks_export')
    op.drop_table('marking_extension')
    op.drop_table('examiner_centre')
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): recreating these tables would trip the foreign keys
    # that point at them while they hold data.
    for table, column in (('mark', 'script_received'), ('component', 'marks_due_at'), ('series', 'marks_due_at')):
        with op.batch_alter_table(table, schema=None, recreate='never') as batch_op:
            batch_op.drop_column(column)
