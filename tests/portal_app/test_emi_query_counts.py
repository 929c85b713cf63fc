"""Over HTTP too, a sheet costs the same number of SQL statements for 24 candidates in 2 centres as for 290 in 5:
counted on the portal's engine, page view by page view."""

from __future__ import annotations

from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import EXAMINER, sign_in_as
from tests.portal_app.test_emi import sheet_form
from tests.portal_app.test_emi_team import TEAM_LEADER, person
from tests.support.sql import counting_statements


def costs(app, browser, allocation: str) -> tuple[int, int, int]:
    engine = app.extensions["portal.database"].engine
    with counting_statements(engine) as viewing:
        html = browser.client.get(f"/emi/allocations/{allocation}").get_data(as_text=True)
    form = sheet_form(html)
    filled = {key: str(n % 40) for n, key in enumerate(k for k in form if k.startswith("mark-"))}
    with counting_statements(engine) as saving:
        assert browser.client.post(f"/emi/allocations/{allocation}", data={**form, **filled, "action": "save"}
                                   ).status_code == 303
    with counting_statements(engine) as listing:
        browser.client.get("/emi/")
    return len(viewing), len(saving), len(listing)


def test_viewing_saving_and_listing_cost_the_same_whatever_the_sheets_size(data_app, browser, entra):
    sign_in_as(browser, EXAMINER)
    browser.client.get("/services")  # the first page after sign-in also reads the favourites into the session
    small, large = costs(data_app, browser, "2"), costs(data_app, browser, "1")
    assert small == large
    leader = person(data_app, entra, TEAM_LEADER)
    leader.client.get("/services")
    engine = data_app.extensions["portal.database"].engine
    counted = []
    for allocation in ("2", "1"):
        with counting_statements(engine) as seen:
            assert leader.client.get(f"/emi/team/allocations/{allocation}").status_code == 200
        counted.append(len(seen))
    assert counted[0] == counted[1]
