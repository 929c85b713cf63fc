"""Every IAMIS page costs the same number of SQL statements however many centres, candidates and sampled
candidates it shows (counted, not timed: the machines are shared)."""

from __future__ import annotations

import re

import pytest

from portal_app.data.models import Allocation
from tests.data.moderation_builder import load_moderation
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import MODERATOR, PRINCIPAL, SignInActions, make_data_app, sign_in_as
from tests.portal_app.iamis_helpers import fill_centre, page
from tests.support.sql import counting_statements


def statements(app, browser, path: str) -> int:
    with counting_statements(app.extensions["portal.database"].engine) as seen:
        page(browser, path)
    return len(seen)


def pages_for(app, entra, tmp_path, code: str, centres: int, cohort: int, first: int) -> dict[str, int]:
    with app.extensions["portal.database"].sessions() as session:
        load_moderation(session, tmp_path / code, code, centres, cohort, first)
        allocation = session.query(Allocation.id).filter(Allocation.component.has(code=code)).scalar()
    moderator = SignInActions(app.test_client(), entra)
    sign_in_as(moderator, MODERATOR)
    principal = SignInActions(app.test_client(), entra)
    sign_in_as(principal, PRINCIPAL)
    centre = f"/iamis/allocations/{allocation}/centres/{first}"
    counts = {name: statements(app, browser, path) for name, browser, path in [
        ("index", moderator, "/iamis/"), ("centres", moderator, f"/iamis/allocations/{allocation}"),
        ("centre", moderator, centre), ("candidates", moderator, centre + "/candidates"),
        ("team", principal, "/iamis/team"), ("index as principal", principal, "/iamis/"),
        ("member", principal, f"/iamis/team/allocations/{allocation}"),
        ("member centre", principal, f"/iamis/team/allocations/{allocation}/centres/{first}"),
    ]}
    fields = fill_centre(page(moderator, centre), marks="33", judgement="accurate")
    with counting_statements(app.extensions["portal.database"].engine) as saves:
        assert moderator.client.post(centre, data={**fields, "action": "save"}).status_code == 303
    counts["save"] = len(saves)
    counts["sampled"] = len(re.findall(r'name="mark-\d+"', page(moderator, centre)))
    return counts


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request, tmp_path, redis_url, entra):
    url = request.getfixturevalue("seeded_sqlite_url" if request.param == "sqlite" else "pg_seeded_url")
    yield from make_data_app(tmp_path, redis_url, url)


def test_iamis_pages_do_not_grow_with_centres_candidates_or_samples(any_app, entra, tmp_path):
    small = pages_for(any_app, entra, tmp_path, "7001N1", centres=2, cohort=20, first=69001)
    large = pages_for(any_app, entra, tmp_path, "7002N1", centres=12, cohort=150, first=69101)
    assert (small.pop("sampled"), large.pop("sampled")) == (5, 15)
    assert large == small, {name: (small[name], large[name]) for name in small if small[name] != large[name]}
    assert max(small.values()) <= 16, small
