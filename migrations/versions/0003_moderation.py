"""moderation: centre marks apart from examiner marks, sample rows with reasons, centre reports, exports

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:39:59

Moves today's data without loss:
- a component with a moderator allocation becomes internally assessed (every other stays examined);
- on those components, the mark and status code of each entry (the centre's, as imported) move to the new
  centre columns; the examiner columns are cleared only where no examiner is allocated the component, so
  nothing an examiner typed is ever dropped;
- each moderator's allocated centre gets a report: "submitted" (at its old completion time) where the report
  had been completed, "draft" otherwise;
- an entry found in two samples stays in the sample of the earliest allocation; each row taken out is written
  to the audit log (entity moderation_sample, field "sample", old value "allocation N") before it goes.
"""
from datetime import UTC, datetime
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INTERNALLY_ASSESSED_ENTRIES = (
    "SELECT e.id FROM entry e JOIN component c ON c.id = e.component_id "
    "WHERE c.assessment_type = 'internally_assessed'"
)


def upgrade() -> None:
    """Add the moderation schema, then move today's values into it."""
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assessment_type', sa.String(length=24), server_default='examined', nullable=False))
        batch_op.add_column(sa.Column('tolerance', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_component_assessment_type_known'), "assessment_type IN ('examined', 'internally_assessed')")
        batch_op.create_check_constraint(op.f('ck_component_tolerance_not_negative'), 'tolerance >= 0')

    with op.batch_alter_table('mark', schema=None) as batch_op:
        batch_op.add_column(sa.Column('centre_mark', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('centre_code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('centre_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('moderated_code', sa.String(length=8), nullable=True))
        batch_op.create_check_constraint(op.f('ck_mark_centre_mark_not_negative'), 'centre_mark >= 0')
        batch_op.create_check_constraint(
            op.f('ck_mark_centre_value_single'), 'centre_mark IS NULL OR centre_code IS NULL')
        batch_op.create_check_constraint(
            op.f('ck_mark_moderated_value_single'), 'moderated_mark IS NULL OR moderated_code IS NULL')

    op.execute("UPDATE component SET assessment_type = 'internally_assessed' "
               "WHERE id IN (SELECT component_id FROM allocation WHERE role = 'moderator')")
    op.execute(f"UPDATE mark SET centre_mark = examiner_mark, centre_code = status_code "
               f"WHERE entry_id IN ({INTERNALLY_ASSESSED_ENTRIES})")
    op.execute(f"UPDATE mark SET examiner_mark = NULL, status_code = NULL "
               f"WHERE entry_id IN ({INTERNALLY_ASSESSED_ENTRIES} AND e.component_id NOT IN "
               f"(SELECT component_id FROM allocation WHERE role = 'examiner'))")

    _keep_each_entry_in_one_sample()
    with op.batch_alter_table('moderation_sample', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=16), server_default='generated', nullable=False))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('work', sa.String(length=16), server_default='received', nullable=False))
        batch_op.add_column(sa.Column('replaced_by_entry_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_moderation_sample_entry_id'), ['entry_id'])
        batch_op.create_foreign_key(batch_op.f('fk_moderation_sample_replaced_by_entry_id_entry'), 'entry',
                                    ['replaced_by_entry_id'], ['id'])
        batch_op.create_check_constraint(
            op.f('ck_moderation_sample_reason_known'),
            "reason IN ('generated', 'highest', 'lowest', 'additional', 'replacement')")
        batch_op.create_check_constraint(
            op.f('ck_moderation_sample_work_known'), "work IN ('received', 'not_received', 'incomplete')")

    _create_reports()
    op.execute("INSERT INTO moderation_report (allocation_id, centre_id, status, submitted_at, last_activity_at, "
               "version) "
               "SELECT ac.allocation_id, ac.centre_id, "
               "CASE WHEN ac.report_completed_at IS NULL THEN 'draft' ELSE 'submitted' END, "
               "ac.report_completed_at, ac.report_completed_at, 0 "
               "FROM allocation_centre ac JOIN allocation a ON a.id = ac.allocation_id WHERE a.role = 'moderator'")
    with op.batch_alter_table('allocation_centre', schema=None) as batch_op:
        batch_op.drop_column('report_completed_at')
    _create_exports()


def _keep_each_entry_in_one_sample() -> None:
    later = ("moderation_sample.allocation_id > (SELECT MIN(t.allocation_id) FROM moderation_sample t "
             "WHERE t.entry_id = moderation_sample.entry_id)")
    op.get_bind().execute(sa.text(
        "INSERT INTO audit_log (at, actor_tenant_id, actor_object_id, entity, entity_id, field, old_value, "
        "new_value, session_ref) SELECT :now, 'migration', '0003', 'moderation_sample', entry_id, 'sample', "
        "'allocation ' || CAST(allocation_id AS VARCHAR(12)), NULL, 'alembic upgrade 0003' "
        "FROM moderation_sample WHERE " + later), {"now": datetime.now(UTC)})
    op.execute("DELETE FROM moderation_sample WHERE " + later)


def _create_reports() -> None:
    op.create_table('moderation_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='draft', nullable=False),
    sa.Column('judgement', sa.String(length=16), nullable=True),
    sa.Column('rank_order', sa.String(length=16), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('assessment_comment', sa.Text(), nullable=True),
    sa.Column('administration_comment', sa.Text(), nullable=True),
    sa.Column('task_setting_comment', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewer_tenant_id', sa.String(length=36), nullable=True),
    sa.Column('reviewer_object_id', sa.String(length=36), nullable=True),
    sa.Column('reviewer_name', sa.String(length=200), nullable=True),
    sa.Column('return_note', sa.Text(), nullable=True),
    sa.CheckConstraint("judgement IN ('accurate', 'generous', 'severe', 'inconsistent')", name=op.f('ck_moderation_report_judgement_known')),
    sa.CheckConstraint("language IN ('en', 'cy')", name=op.f('ck_moderation_report_language_known')),
    sa.CheckConstraint("rank_order IN ('holds', 'does_not_hold')", name=op.f('ck_moderation_report_rank_order_known')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'returned', 'accepted')", name=op.f('ck_moderation_report_status_known')),
    sa.ForeignKeyConstraint(['allocation_id', 'centre_id'], ['allocation_centre.allocation_id', 'allocation_centre.centre_id'], name='fk_moderation_report_allocation_centre'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_report')),
    sa.UniqueConstraint('allocation_id', 'centre_id', name=op.f('uq_moderation_report_allocation_id'))
    )


def _create_exports() -> None:
    op.create_table('moderation_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('marks_file', sa.Text(), nullable=False),
    sa.Column('reports_file', sa.Text(), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('mark_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_export'))
    )
    op.create_table('moderation_export_item',
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['moderation_export.id'], name=op.f('fk_moderation_export_item_export_id_moderation_export')),
    sa.ForeignKeyConstraint(['report_id'], ['moderation_report.id'], name=op.f('fk_moderation_export_item_report_id_moderation_report')),
    sa.PrimaryKeyConstraint('export_id', 'report_id', name=op.f('pk_moderation_export_item'))
    )
    with op.batch_alter_table('moderation_export_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_export_item_report_id'), ['report_id'], unique=False)


def downgrade() -> None:
    """Back to 0002: centre marks return to the single mark column where it is empty, completions to the centre.

    What 0002 cannot hold is lost: report contents and reviews, sample reasons and work states, codes on
    moderated marks, tolerances and the export records.
    """
    with op.batch_alter_table('allocation_centre', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_completed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE allocation_centre SET report_completed_at = (SELECT r.submitted_at FROM moderation_report r "
               "WHERE r.allocation_id = allocation_centre.allocation_id AND r.centre_id = allocation_centre.centre_id "
               "AND r.status IN ('submitted', 'accepted'))")
    op.execute("UPDATE mark SET examiner_mark = centre_mark, status_code = centre_code "
               "WHERE examiner_mark IS NULL AND status_code IS NULL")
    with op.batch_alter_table('moderation_export_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_export_item_report_id'))
    op.drop_table('moderation_export_item')
    op.drop_table('moderation_export')
    op.drop_table('moderation_report')

    with op.batch_alter_table('moderation_sample', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_moderation_sample_work_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_moderation_sample_reason_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_moderation_sample_replaced_by_entry_id_entry'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_moderation_sample_entry_id'), type_='unique')
        batch_op.drop_column('replaced_by_entry_id')
        batch_op.drop_column('work')
        batch_op.drop_column('note')
        batch_op.drop_column('reason')

    with op.batch_alter_table('mark', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mark_moderated_value_single'), type_='check')
        batch_op.drop_constraint(op.f('ck_mark_centre_value_single'), type_='check')
        batch_op.drop_constraint(op.f('ck_mark_centre_mark_not_negative'), type_='check')
        batch_op.drop_column('moderated_code')
        batch_op.drop_column('centre_version')
        batch_op.drop_column('centre_code')
        batch_op.drop_column('centre_mark')

    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_component_tolerance_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_component_assessment_type_known'), type_='check')
        batch_op.drop_column('tolerance')
        batch_op.drop_column('assessment_type')
