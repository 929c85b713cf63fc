"""IAMIS, Moderator Mark Input: the moderator's table and centres, a centre's sample and report, the whole centre
in rank order, and review by the team leader and principal (one module per page group).

The data layer does the work (portal_app.data.moderation*, portal_app.data.teams); these modules check who is
asking, read the form, and render. `portal export-moderation` lives in ``export``.
"""

from __future__ import annotations

from portal_app.marks.iamis import centres, overview, review, team  # noqa: F401 - each adds its routes to bp
from portal_app.marks.iamis.blueprint import bp

__all__ = ["bp"]
