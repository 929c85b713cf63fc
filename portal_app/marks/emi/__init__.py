"""EMI, Electronic Mark Input: the examiner's list and mark sheets (by centre), and examining oversight.

One module per page group, each adding its views to the one ``emi`` blueprint: ``listing`` (the component list
and agendas), ``sheet`` (a sheet: drafts and submitting a centre), ``team`` (a leader's team and a member's
sheet, read-only) and ``oversight`` (reopening a centre, granting an extension).
"""

from __future__ import annotations

from portal_app.marks.emi import listing, oversight, sheet, team
from portal_app.marks.emi.blueprint import bp

__all__ = ["bp", "listing", "oversight", "sheet", "team"]
