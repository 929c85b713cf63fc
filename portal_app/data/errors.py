"""Refusals raised by the mark-input services; each maps to a 4xx with a message a user may read."""

from __future__ import annotations

from portal_app.data.messages import N_, Message


class DataError(Exception):
    """A mark-input request that cannot be carried out; never a 5xx."""

    status_code = 400
    description = N_("The request could not be carried out.")

    def __init__(self, reason: str = "", *, description: str | None = None) -> None:
        super().__init__(reason or self.description)
        self.reason = reason or self.description
        if description is not None:
            self.description = description


class NotFound(DataError):
    """No such allocation for this appointee; another appointee's id is deliberately indistinguishable."""

    status_code = 404
    description = N_("There is no such mark sheet.")


class InvalidMarks(DataError):
    """One or more values failed validation; nothing was written."""

    status_code = 422
    description = N_("Some marks need correcting. Nothing was saved.")

    def __init__(self, errors: dict[int | str, Message]) -> None:
        super().__init__(f"{len(errors)} invalid value(s)")
        self.errors = errors


class StaleSheet(DataError):
    """The sheet changed since it was loaded (another tab or person); nothing was written."""

    status_code = 409
    description = N_(
        "This sheet was changed elsewhere since you opened it. Your values are kept below; "
        "check the highlighted fields and save again."
    )

    def __init__(self, current_version: int, conflicts: dict[int, object]) -> None:
        super().__init__(f"stale sheet: now version {current_version}, {len(conflicts)} conflicting field(s)")
        self.current_version = current_version
        self.conflicts = conflicts


class SheetLocked(DataError):
    """The sheet (or the centre's report) was submitted and is read-only."""

    status_code = 409
    description = N_("These marks have been submitted and can no longer be changed.")


class IncompleteSheet(DataError):
    """Submission refused while some candidates have neither a mark nor a status code."""

    status_code = 422
    description = N_("Every candidate needs a mark or a status code before you can submit.")

    def __init__(self, missing: list[int]) -> None:
        super().__init__(f"{len(missing)} candidate(s) without a mark")
        self.missing = missing
