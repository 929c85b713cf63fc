"""config/services.toml: validation (every problem, with file, key and fix), start-up, reload, menus."""

from __future__ import annotations

import logging
import shutil
import tomllib
from datetime import date

import pytest

from auth.permissions import Permission
from portal_app import create_app
from portal_app.catalogue.menu import FAVOURITES, build_menu, normalise_query, visible_services
from portal_app.catalogue.model import Catalogue, CatalogueError, Category, localized
from portal_app.catalogue.source import CatalogueSource
from portal_app.settings import PROJECT_ROOT, ConfigError
from tests.portal_app.conftest import portal_test_config

SEED = PROJECT_ROOT / "config" / "services.toml"
ENDPOINTS = {"iamis.index", "emi.index", "link_check.index"}
TODAY = date(2026, 11, 29)


def seed_data() -> dict:
    return tomllib.loads(SEED.read_text(encoding="utf-8"))


def test_the_seed_catalogue_is_valid_and_grouped_as_the_seed_guide():
    catalogue = Catalogue.load(SEED, ENDPOINTS)
    assert [c.title for c in catalogue.categories][:5] == [
        "Entries & Registrations", "Assessments", "MFL", "Examinations & Assessments", "Resources"]
    exams = [s.title for s in catalogue.services if s.category == "examinations-assessments"]
    assert exams == ["Mark Input", "Electronic Mark Input", "Moderator Reports/Invoices"]
    assert catalogue.service("iamis-mark-input").endpoint == "iamis.index"
    assert catalogue.service("iamis-mark-input").heading == "IAMIS"
    assert all(s.title_cy and s.description_cy for s in catalogue.services)


def _service(**changes) -> dict:
    service = {"id": "x", "title": "X", "title_cy": "X", "category": "resources", "description": "d",
               "description_cy": "d", "url": "https://example.org/", "permission": "services:view"}
    service.update(changes)
    return {k: v for k, v in service.items() if v is not None}


@pytest.mark.parametrize("bad_service, key, words", [
    (_service(permission="services:everything"), "services[8].permission", "unknown permission"),
    (_service(id="iamis-mark-input"), "services[8].id", "duplicate id"),
    (_service(id="Has Spaces"), "services[8].id", "not a valid id"),
    (_service(url="http://example.org/"), "services[8].url", "not an https URL"),
    (_service(url="https://user:pw@example.org/"), "services[8].url", "not an https URL"),
    (_service(url="javascript:alert(1)"), "services[8].url", "not an https URL"),
    (_service(url=None, endpoint="reports.index"), "services[8].endpoint", "no page called"),
    (_service(endpoint="emi.index"), "services[8]", "exactly one of endpoint or url"),
    (_service(url=None), "services[8]", "exactly one of endpoint or url"),
    (_service(category="nowhere"), "services[8].category", "unknown category"),
    (_service(title_cy=""), "services[8].title_cy", "missing"),
    (_service(new="yes"), "services[8].new", "not true or false"),
    (_service(retires="2027-07-31"), "services[8].retires", "not a date"),
    (_service(colour="red"), "services[8].colour", "not a known key"),
])
def test_each_kind_of_mistake_is_named_with_its_key_and_a_fix(bad_service, key, words):
    data = seed_data()
    data["services"].append(bad_service)
    with pytest.raises(CatalogueError) as caught:
        Catalogue.from_data(data, file="services.toml", endpoints=ENDPOINTS)
    [problem] = caught.value.problems
    assert (problem.source, problem.key) == ("services.toml", key)
    assert words in problem.problem and problem.fix


def test_every_problem_is_reported_at_once():
    data = seed_data()
    data["categories"].append({"id": "resources", "title": "Again", "title_cy": "Eto", "order": "first"})
    data["services"].append(_service(permission="nope", url="http://x.org/"))
    data["extra"] = {}
    with pytest.raises(CatalogueError) as caught:
        Catalogue.from_data(data, file="services.toml", endpoints=ENDPOINTS)
    keys = {p.key for p in caught.value.problems}
    assert {"extra", "categories[6].id", "categories[6].order", "services[8].permission", "services[8].url"} <= keys


@pytest.mark.parametrize("content, key", [
    (b"[[services]\n", "(syntax)"),
    (b"\xff\xfe not utf-8", "(encoding)"),
    (b"", "categories"),
])
def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path, content, key):
    path = tmp_path / "services.toml"
    path.write_bytes(content)
    with pytest.raises(CatalogueError) as caught:
        Catalogue.load(path)
    assert caught.value.problems[0].key == key
    assert str(path) in str(caught.value)


def test_a_broken_catalogue_stops_start_up_listing_every_problem(tmp_path, redis_url, entra):
    services_file = tmp_path / "services.toml"
    text = SEED.read_text().replace('endpoint = "emi.index"', 'endpoint = "emi.gone"')
    services_file.write_text(text.replace('permission = "iamis:view"', 'permission = "iamis:own"', 1))
    with pytest.raises(ConfigError) as caught:
        create_app(portal_test_config(tmp_path, redis_url, services={"file": str(services_file)}))
    message = str(caught.value)
    assert "emi.gone" in message and "iamis:own" in message and str(services_file) in message


def test_the_real_app_starts_with_the_seed_catalogue_and_its_endpoints_exist(tmp_path, redis_url, entra):
    app = create_app(portal_test_config(tmp_path, redis_url))
    catalogue = app.extensions["portal.catalogue"].current()
    assert {s.endpoint for s in catalogue.services if s.endpoint} <= set(app.view_functions)


def test_the_source_reloads_an_edit_and_keeps_the_last_good_one_after_a_bad_edit(tmp_path, caplog):
    path = tmp_path / "services.toml"
    shutil.copy(SEED, path)
    source = CatalogueSource(path, lambda: ENDPOINTS)
    path.write_text(SEED.read_text().replace('title = "Mark Input"', 'title = "Moderator Mark Input"'))
    assert source.current().service("iamis-mark-input").title == "Moderator Mark Input"
    path.write_text("[[services]]\nid = 'broken'\n")
    with caplog.at_level(logging.ERROR):
        assert source.current().service("iamis-mark-input").title == "Moderator Mark Input"
        source.current()  # a broken file is reported once, not at every page
    assert len([r for r in caplog.records if "still showing the previous" in r.getMessage()]) == 1


def test_a_deleted_file_keeps_the_last_good_catalogue(tmp_path):
    path = tmp_path / "services.toml"
    shutil.copy(SEED, path)
    source = CatalogueSource(path, lambda: ENDPOINTS)
    path.unlink()
    assert source.current().service("emi") is None and source.current().service("electronic-mark-input")


def test_welsh_titles_are_offered_and_english_is_the_default():
    catalogue = Catalogue.load(SEED, ENDPOINTS)
    service = catalogue.service("electronic-mark-input")
    assert localized(service).title == "Electronic Mark Input"
    assert localized(service, "cy").title == "Mewnbynnu Marciau'n Electronig"
    assert localized(Category("c", "Resources", "", 1), "cy").title == "Resources"  # blank Welsh: English


def test_menu_puts_favourites_first_and_drops_empty_and_retired_entries():
    data = seed_data()
    data["services"][-1]["retires"] = TODAY  # link-check retires today
    catalogue = Catalogue.from_data(data, endpoints=ENDPOINTS)
    services = visible_services(catalogue, {Permission.SERVICES_VIEW, Permission.ADMIN_LINK_CHECK}, ENDPOINTS, TODAY)
    assert [s.id for s in services] == ["entries-registrations", "appointee-resources"]
    menu = build_menu(catalogue, services, favourites=["appointee-resources", "iamis-mark-input"], lang="cy")
    assert [section.id for section in menu] == [FAVOURITES, "entries-registrations", "resources"]
    assert menu[0].title == "Fy Ffefrynnau"
    assert [s.id for s in menu[0].services] == ["appointee-resources"]  # not a forbidden favourite


def test_an_internal_service_whose_page_is_gone_is_never_offered():
    catalogue = Catalogue.load(SEED, ENDPOINTS)
    services = visible_services(catalogue, set(Permission), {"iamis.index"}, TODAY)
    assert "electronic-mark-input" not in {s.id for s in services}


@pytest.mark.parametrize("raw, expected", [(None, ""), ("  mark   input ", "mark input"), ("a" * 500, "a" * 100)])
def test_queries_are_trimmed_and_bounded(raw, expected):
    assert normalise_query(raw) == expected
