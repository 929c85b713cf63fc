"""Refusals of the examining services (deadlines, reopening, oversight); each a 4xx a user may read."""

from __future__ import annotations

from portal_app.data.errors import DataError
from portal_app.data.messages import N_, Message


class DeadlinePassed(DataError):
    """A save or submission after the marks-due time in force; the sheet stays viewable."""

    status_code = 409
    description = N_("The deadline for these marks has passed, so nothing can be saved or submitted. Your marks "
                     "are shown below; ask your team leader or principal examiner for an extension.")


class InvalidRequest(DataError):
    """A form value the service cannot accept (a missing reason, a date in the past); nothing was written."""

    status_code = 422

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


class CentreExported(DataError):
    """Reopening refused: the centre's marks went to the board in an export that has not been reissued."""

    status_code = 409
    description = N_("These marks have already been exported to the board, so the centre cannot be reopened. "
                     "Ask operations staff to reissue the export of this centre first.")

    def __init__(self, batch_id: str) -> None:
        super().__init__(f"centre exported in batch {batch_id}")
        self.batch_id = batch_id
