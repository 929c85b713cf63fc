"""Refusals of the moderation services, each a 4xx with a message the moderator or reviewer can act on."""

from __future__ import annotations

from portal_app.data.errors import DataError, IncompleteSheet, SheetLocked
from portal_app.data.messages import N_


class ReportLocked(SheetLocked):
    """The centre's report was submitted (or accepted): its marks, sample and report are read-only."""

    description = N_("This centre's report has been submitted, so its marks, sample and report can no longer be "
                     "changed.")


class IncompleteReport(IncompleteSheet):
    """Submission refused: sample rows without a moderated mark or code, or required report fields empty."""

    description = N_("The report cannot be submitted yet: every candidate in the sample needs a moderated mark "
                     "(or the work-not-received code), and the report needs every field marked as required.")

    def __init__(self, missing: list[int], missing_fields: list[str], *, empty_sample: bool = False) -> None:
        super().__init__(missing)
        self.reason = f"{len(missing)} row(s) and {len(missing_fields)} field(s) missing"
        self.missing_fields = missing_fields
        self.empty_sample = empty_sample


class SampleChangeRefused(DataError):
    """A candidate cannot be added, replaced or removed; ``message`` says why."""

    status_code = 422
    description = N_("That change to the sample could not be made.")


class NotUnderReview(DataError):
    """Only a submitted report can be returned or accepted."""

    status_code = 409
    description = N_("Only a submitted report can be returned or accepted; this one is not waiting for review.")


class ReviewNoteMissing(DataError):
    """Returning a report needs a note that tells the moderator why."""

    status_code = 422
    description = N_("Write a note telling the moderator what to change before you return the report.")
