"""What the IAMIS pages share: the rules in force, the posted centre form, and words for stored values.

Every field a moderator or reviewer types is named ``mark-...`` so that a session ending mid-typing keeps it
(portal_app.marks.stash keeps the ``mark-`` fields): ``mark-<entry id>`` a moderated mark, ``mark-work-<entry>``
whether the work arrived, ``mark-report-<field>`` a report field, ``mark-note`` a sample or review note.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import lazy_gettext as _l

from auth.permissions import Permission
from portal_app.data.access import sheet_fields
from portal_app.data.moderation_marks import CentreForm
from portal_app.data.moderation_reports import CHOICES, COMMENTS
from portal_app.data.moderation_rules import ModerationRules
from portal_app.database import db_session, moderation_rules
from portal_app.marks.common import typed_values
from portal_app.marks.stash import MAX_VALUE_CHARS, mark_fields
from portal_app.signin.roles import current_permissions
from portal_app.web.i18n import current_language

REPORT_STATUSES = {"draft": _l("Draft"), "submitted": _l("Submitted"), "returned": _l("Returned"),
                   "accepted": _l("Accepted")}
JUDGEMENTS = {"accurate": _l("Accurate"), "generous": _l("Generous"), "severe": _l("Severe"),
              "inconsistent": _l("Inconsistent")}
RANK_ORDER = {"holds": _l("The centre's rank order holds"), "does_not_hold": _l("The rank order does not hold")}
REASONS = {"generated": _l("Drawn by the board"), "highest": _l("Highest centre mark"),
           "lowest": _l("Lowest centre mark"), "additional": _l("Added by the moderator"),
           "replacement": _l("Replacement")}
WORK = {"received": _l("Received"), "not_received": _l("Not received"), "incomplete": _l("Incomplete")}
LANGUAGES = {"cy": "Cymraeg", "en": "English"}
REPORT_FIELD_LABELS = {
    "judgement": _l("Judgement of the centre's marking"), "rank_order": _l("Rank order"),
    "language": _l("Language of the report"), "assessment_comment": _l("Comments on assessment"),
    "administration_comment": _l("Comments on administration"), "task_setting_comment": _l("Comments on task setting"),
}


def rules() -> ModerationRules:
    return moderation_rules()


def code_meaning(current: ModerationRules | None = None) -> str:
    """What the work-not-received code means, in the page's language (from config/moderation.toml)."""
    current = current or rules()
    return current.not_received_meaning_cy if current_language() == "cy" else current.not_received_meaning


def centre_form(values: dict[str, str] | None = None) -> CentreForm:
    """The centre page's typed values (the posted form, or what was kept across a sign-in) by kind."""
    values = typed_values() if values is None else values
    marks, work, report = {}, {}, {}
    for key, value in values.items():
        if key.startswith("work-"):
            work[key[len("work-"):]] = value
        elif key.startswith("report-"):
            report[key[len("report-"):]] = value
        elif key != "note":
            marks[key] = value
    return CentreForm(marks, work, report)


def centre_page_fields(allocation_id: str, centre_number: str) -> dict[str, int]:
    """The fields of a centre's page kept across a sign-in: the sample's marks and work states (as marks are),
    the report's choices, and its comments up to the length the rules allow."""
    fields = mark_fields(sheet_fields(db_session(), allocation_id, centre_number), "work-")
    fields.update({f"report-{name}": MAX_VALUE_CHARS for name in CHOICES})
    fields.update({f"report-{name}": rules().comment_max_characters for name in COMMENTS})
    return fields


def typed_note() -> str:
    return request.form.get("mark-note", "")


def can(permission: Permission) -> bool:
    return permission in current_permissions()


def reviewer_name() -> str:
    """The name the reviewer signed in with, as the moderator will read it beside a returned report."""
    return str(g.user.get("name") or g.user.get("username") or g.user["oid"])


def difference_text(value: float | None) -> str:
    """+2, 0, −6 or +0.8 (a true minus sign, read out as "minus" by screen readers)."""
    if value is None:
        return ""
    text = f"{abs(value):.1f}" if isinstance(value, float) else str(abs(value))
    return ("+" if value > 0 else "\u2212" if value < 0 else "") + text


def template_helpers() -> dict:
    current = rules()
    return {"report_statuses": REPORT_STATUSES, "judgements": JUDGEMENTS, "rank_orders": RANK_ORDER,
            "reasons": REASONS, "work_states": WORK, "report_languages": LANGUAGES,
            "report_labels": REPORT_FIELD_LABELS, "required_fields": current.required_report_fields,
            "not_received_code": current.not_received_code, "not_received_meaning": code_meaning(current),
            "difference_text": difference_text}


def field_errors(errors: dict) -> dict[str, object]:
    """Errors keyed as the template looks them up: entry ids as strings, report fields as ``report-<name>``."""
    return {(f"report-{key}" if key in REPORT_FIELD_LABELS else str(key)): message for key, message in errors.items()}
