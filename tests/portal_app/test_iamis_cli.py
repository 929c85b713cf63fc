"""Moderation through the operations commands, on SQLite and PostgreSQL: `portal import` applies the sample,
role and centre-mark rules with line numbers; `portal export-moderation` writes accepted outcomes as safe CSV and
records them; a broken config/moderation.toml stops the portal with every problem listed."""

from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import func, select

from portal_app import create_app
from portal_app.cli import portal_cli
from portal_app.data.audit import Appointee, AuditContext
from portal_app.data.models import AuditLog, Mark, ModerationSample
from portal_app.data.moderation_centre import centre_view, moderator_centre
from portal_app.data.moderation_export import ModerationExport
from portal_app.data.moderation_marks import CentreForm, save_centre
from portal_app.data.moderation_reports import review_report, submit_report
from portal_app.data.moderation_rules import ModerationRules
from portal_app.data.teams import reviewable_allocation
from portal_app.settings import ConfigError
from tests.data.import_files import SAMPLE_HEADER
from tests.portal_app.conftest import portal_test_config
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import make_data_app
from tests.portal_app.test_cli import DEV_ENV
from tests.support.servers import REPO_ROOT

TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
MORGAN = Appointee(TENANT, "22222222-2222-4222-8222-222222222222")
TOMOS = Appointee(TENANT, "33333333-3333-4333-8333-333333333333")
RULES = ModerationRules.load()


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path, redis_url, entra):
    url = request.getfixturevalue("seeded_sqlite_url" if request.param == "sqlite" else "pg_seeded_url")
    yield from make_data_app(tmp_path, redis_url, url)


def run(app, *args):
    return app.test_cli_runner().invoke(portal_cli, [str(a) for a in args])


def count(app, model) -> int:
    with app.extensions["portal.database"].sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def accept_68101(app, comment: str = "=HYPERLINK(\"http://evil\")") -> None:
    """Morgan moderates and submits centre 68101, Tomos accepts it (the services the pages use)."""
    with app.extensions["portal.database"].sessions() as session:
        view = moderator_centre(session, 5, MORGAN, "68101")
        marks = {str(row.entry_id): "44" for row in view.rows}
        report = {"judgement": "accurate", "rank_order": "holds", "language": "cy", "assessment_comment": comment,
                  "administration_comment": "Gweinyddu da; ŵ ŷ"}
        version = save_centre(session, 5, MORGAN, "68101", CentreForm(marks=marks, report=report), 0, AuditContext(),
                              RULES, "NR")
        version = submit_report(session, 5, MORGAN, "68101", version, AuditContext(), RULES)
        found = reviewable_allocation(session, 5, TOMOS, all_teams=False)
        review_report(session, centre_view(session, found.allocation, "68101"), TOMOS, "Tomos Lloyd", "accept", "",
                      version, AuditContext())
        session.commit()


def test_a_sample_that_breaks_the_rules_exits_1_names_the_line_and_writes_nothing(app, tmp_path):
    before = count(app, ModerationSample)
    path = write(tmp_path, "samples.csv", f"{SAMPLE_HEADER}\n{TENANT},{MORGAN.oid},JUN17,3000N1,68101,0002,"
                                          f"generated,\n")
    result = run(app, "import", path)
    assert result.exit_code == 1 and "Nothing was written" in result.output
    assert "samples.csv line 2: candidate 68101/0002 is already in the sample" in result.output or \
           "samples.csv line 2: centre 68101: the sample has 13 generated rows" in result.output
    assert count(app, ModerationSample) == before


def test_an_allocation_that_does_not_fit_the_component_is_refused_by_line(app, tmp_path):
    path = write(tmp_path, "allocations.csv", "tenant_id,object_id,email,series_code,component_code,role,centres\n"
                                              f"{TENANT},{MORGAN.oid},m@wjec-appointees.co.uk,JAN17,9521/01,"
                                              "moderator,68001\n")
    result = run(app, "import", path)
    assert result.exit_code == 1
    assert "allocations.csv line 2: component 9521/01 is examined: it takes examiner allocations" in result.output


def test_a_reimported_centre_mark_updates_until_moderated_then_is_refused(app, tmp_path):
    entries = (tmp_path / "entries.csv")
    original = (REPO_ROOT / "config/demo-data/entries.csv").read_text(encoding="utf-8")
    line = next(row for row in original.splitlines() if ",68101," in row and row.endswith(",80"))
    changed = original.replace(line, line[:-2] + "79")
    entries.write_text(changed, encoding="utf-8")
    result = run(app, "import", entries)
    assert result.exit_code == 0 and "1 updated" in result.output
    with app.extensions["portal.database"].sessions() as session:
        audited = session.scalars(select(AuditLog).where(AuditLog.field == "centre_mark")).one()
        assert (audited.old_value, audited.new_value, audited.actor_tenant_id) == ("80", "79", "cli")
    accept_68101(app)
    entries.write_text(original, encoding="utf-8")
    refused = run(app, "import", entries)
    assert refused.exit_code == 1 and "cannot change from 79 to 80" in refused.output


def test_export_writes_accepted_outcomes_as_safe_utf8_csv_and_records_what_it_wrote(app, tmp_path):
    out = tmp_path / "out"
    assert "No accepted reports" in run(app, "export-moderation", "--output", out).output
    accept_68101(app)
    result = run(app, "export-moderation", "--output", out)
    assert result.exit_code == 0 and "1 accepted report(s), 84 candidate row(s)" in result.output
    reports_file = next(out.glob("moderation-reports-*.csv"))
    marks_file = next(out.glob("moderated-marks-*.csv"))
    assert reports_file.read_bytes().startswith(b"\xef\xbb\xbf") and not list(out.glob("*.partial"))
    (report,) = read_csv(reports_file)
    assert report["assessment_comment"] == "'=HYPERLINK(\"http://evil\")"  # never a formula in a spreadsheet
    assert report["administration_comment"] == "Gweinyddu da; ŵ ŷ"
    assert (report["centre_number"], report["judgement"], report["accepted_by"]) == ("68101", "accurate",
                                                                                      "Tomos Lloyd")
    marks = read_csv(marks_file)
    sampled = [m for m in marks if m["in_sample"] == "yes"]
    assert len(marks) == 84 and len(sampled) == 12 and {m["moderated_mark"] for m in sampled} == {"44"}
    assert all(re.fullmatch(r"\d+", m["centre_mark"]) for m in marks)
    assert count(app, ModerationExport) == 1
    assert "No accepted reports to export that were not exported before" in run(
        app, "export-moderation", "--output", out).output
    again = run(app, "export-moderation", "--output", tmp_path / "again", "--include-exported", "--component",
                "3000N1")
    assert again.exit_code == 0 and count(app, ModerationExport) == 2


def test_export_refuses_an_unmigrated_database(tmp_path, redis_url, entra):
    for app in make_data_app(tmp_path, redis_url, f"sqlite:///{tmp_path / 'empty.sqlite3'}"):
        result = run(app, "export-moderation", "--output", tmp_path / "out")
        assert result.exit_code == 1 and "not at head" in result.output


def test_a_broken_rules_file_stops_the_portal_listing_every_problem(tmp_path, redis_url):
    rules = tmp_path / "moderation.toml"
    rules.write_text((REPO_ROOT / "config/moderation.toml").read_text(encoding="utf-8")
                     .replace('extremes = "added"', 'extremes = "sometimes"')
                     .replace('code = "NR"', 'code = "n/r"')
                     .replace('{ size = 20 }', '{ cohort_up_to = 400, size = 20 }'), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        create_app(portal_test_config(tmp_path, redis_url, moderation={"rules_file": str(rules)}))
    keys = {problem.key for problem in refused.value.problems}
    assert keys == {"sample.extremes", "work_not_received.code", "sample.sizes[4]"}
    assert all(problem.source == str(rules) for problem in refused.value.problems)


def test_no_mark_is_lost_by_the_import_commands(app, tmp_path):
    marks = count(app, Mark)
    assert run(app, "import", REPO_ROOT / "config/demo-data").exit_code == 0
    assert count(app, Mark) == marks


def test_check_config_lists_the_problems_of_the_moderation_rules(tmp_path, entra):
    rules = tmp_path / "moderation.toml"
    rules.write_text('[sample]\nsizes = []\n', encoding="utf-8")
    runner = create_app(portal_test_config(tmp_path)).test_cli_runner()
    env = {**DEV_ENV, "PORTAL_MODERATION_FILE": str(rules)}
    result = runner.invoke(portal_cli, ["check-config"], env=env)
    assert result.exit_code == 1 and "Configuration OK" not in result.output
    assert f"{rules}: sample.sizes: is missing or empty" in result.output
    assert "work_not_received: is missing or not a table" in result.output
    assert runner.invoke(portal_cli, ["check-config"], env=DEV_ENV).exit_code == 0
