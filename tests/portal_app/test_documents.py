"""Per-component documents: served to allocated appointees only, as PDF attachments; traversal refused."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from portal_app.data.models import Component
from portal_app.marks.documents import documents_for
from portal_app.settings import PROJECT_ROOT
from tests.portal_app.conftest import SignInActions
from tests.portal_app.conftest_services import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_services import make_services_app, signed_in


def component(app, code: str) -> Component:
    with app.extensions["portal.database"].sessions() as session:
        return session.scalars(select(Component).where(Component.code == code)).one()


def url_of(app, code: str, filename: str) -> str:
    return f"/documents/{component(app, code).id}/{filename}"


@pytest.mark.parametrize("who, code, filename", [
    ("moderator", "3000N1", "3000N1-formula.pdf"),
    ("moderator", "3000N1", "3000N1-fformiwla.pdf"),
    ("examiner", "9521/01", "9521-01-conference-agenda.pdf"),
])
def test_an_allocated_appointee_gets_the_pdf_as_an_attachment(services_app, services_browser, who, code, filename):
    signed_in(services_browser, who)
    with services_browser.client.get(url_of(services_app, code, filename)) as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == f"attachment; filename={filename}"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]
        assert response.data.startswith(b"%PDF-") and response.data.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("who, code, filename", [
    ("examiner", "3000N1", "3000N1-formula.pdf"),  # another component's document
    ("moderator", "9521/01", "9521-01-conference-agenda.pdf"),
    ("admin", "3000N1", "3000N1-formula.pdf"),  # no allocation at all
    ("moderator", "3000N1", "9521-01-conference-agenda.pdf"),  # a real file, but not this component's
])
def test_appointees_not_allocated_to_the_component_are_refused(services_app, services_browser, who, code, filename):
    signed_in(services_browser, who)
    response = services_browser.client.get(url_of(services_app, code, filename))
    assert response.status_code == 404
    assert not response.data.startswith(b"%PDF")


@pytest.mark.parametrize("tail", [
    "../../config/portal.toml",
    "..%2f..%2fconfig%2fportal.toml",
    "%2e%2e/%2e%2e/config/portal.toml",
    "%2e%2e%2f%2e%2e%2fconfig%2fportal.toml",
    "%252e%252e%252fconfig%252fportal.toml",
    "..%5c..%5cconfig%5cportal.toml",
    "..\\..\\config\\portal.toml",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "3000N1-formula.pdf%00.txt",
    "./3000N1-formula.pdf",
    "sub/3000N1-formula.pdf",
    "3000N1-formula.pdf/",
    ".3000N1-formula.pdf",
])
def test_path_traversal_and_encoded_variants_are_refused(services_app, services_browser, tail):
    signed_in(services_browser, "moderator")
    # "//etc/passwd" is first redirected to the merged-slashes URL, still under /documents/, then refused.
    response = services_browser.client.get(f"/documents/{component(services_app, '3000N1').id}/{tail}",
                                           follow_redirects=True)
    assert response.request.path.startswith("/documents/")
    assert response.status_code in (404, 400)
    assert b"[portal]" not in response.data and b"root:" not in response.data
    assert b"Traceback" not in response.data


@pytest.mark.parametrize("component_id", ["abc", "-1", "0", "99999", "1.0", "%31"])
def test_malformed_or_unknown_component_ids_are_refused(services_browser, component_id):
    signed_in(services_browser, "moderator")
    assert services_browser.client.get(f"/documents/{component_id}/3000N1-formula.pdf").status_code == 404


def test_a_symlink_in_the_folder_does_not_lead_outside_it(tmp_path, redis_url, entra, seeded_sqlite_url):
    folder = tmp_path / "documents"
    folder.mkdir()
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 secret")
    (folder / "3000N1-formula.pdf").symlink_to(secret)
    shutil.copy(PROJECT_ROOT / "config" / "demo-documents" / "3000N1-fformiwla.pdf", folder)
    app = next(make_services_app(tmp_path, redis_url, seeded_sqlite_url, documents={"folder": str(folder)}))
    browser = signed_in(SignInActions(app.test_client(), entra), "moderator")
    assert browser.client.get(url_of(app, "3000N1", "3000N1-formula.pdf")).status_code == 404
    with browser.client.get(url_of(app, "3000N1", "3000N1-fformiwla.pdf")) as response:
        assert response.status_code == 200
    app.extensions["portal.database"].dispose()


def test_a_document_missing_from_the_folder_is_a_clear_404(tmp_path, redis_url, entra, seeded_sqlite_url):
    folder = tmp_path / "empty"
    folder.mkdir()
    app = next(make_services_app(tmp_path, redis_url, seeded_sqlite_url, documents={"folder": str(folder)}))
    browser = signed_in(SignInActions(app.test_client(), entra), "moderator")
    response = browser.client.get(url_of(app, "3000N1", "3000N1-formula.pdf"))
    assert response.status_code == 404 and b"could not find" in response.data
    app.extensions["portal.database"].dispose()


def test_anonymous_visitors_go_to_sign_in(services_app):
    response = services_app.test_client().get(url_of(services_app, "3000N1", "3000N1-formula.pdf"))
    assert response.status_code == 302


def test_documents_for_lists_the_seed_labels_with_download_links(services_app):
    with services_app.test_request_context():
        links = documents_for(component(services_app, "3000N1"))
        agenda = documents_for(component(services_app, "9521/01"), kinds=("agenda_document",))
    assert [link.label for link in links] == ["FORMULA PDF", "FORMULA PDF (WELSH)"]
    assert links[0].url.endswith("/3000N1-formula.pdf")
    assert [link.label for link in agenda] == ["VIEW CONFERENCE AGENDA"]


@pytest.mark.parametrize("label, language, filename", [
    (b"FORMULA PDF<", "english", "3000N1-formula.pdf"),
    (b"FORMULA PDF (WELSH)", "welsh", "3000N1-fformiwla.pdf"),
])
def test_iamis_links_to_both_formula_pdfs_of_the_moderators_components(services_browser, label, language, filename):
    signed_in(services_browser, "moderator")
    link = _formula_link(services_browser, language)
    assert label in services_browser.client.get("/iamis/").data
    with services_browser.client.get(link, follow_redirects=True) as response:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == f"attachment; filename={filename}"


def _formula_link(browser, language: str) -> str:
    page = browser.client.get("/iamis/").data.decode()
    marker = f"/formula/{language}"
    return page.split(marker)[0].rsplit('href="', 1)[1] + marker


def test_a_formula_pdf_of_someone_elses_allocation_is_not_found(services_app, services_browser, entra):
    moderators_link = _formula_link(signed_in(services_browser, "moderator"), "english")
    principal = signed_in(SignInActions(services_app.test_client(), entra), "principal")
    assert principal.client.get(moderators_link).status_code == 404
