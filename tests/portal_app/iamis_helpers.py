"""Driving the IAMIS pages as a browser would: read a page's forms (every field with the value a browser would
send), then post them with the changes a user makes."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.portal_app.conftest import SignInActions

TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
MORGAN_CENTRE = "/iamis/allocations/5/centres/68101"


class Forms(HTMLParser):
    """Every <form> of a page: its action and the fields a browser would submit (buttons aside)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "testid": a.get("data-testid"), "fields": {},
                          "buttons": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("type") in (None, "text", "hidden"):
            fields[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "radio":
            fields.setdefault(a["name"], "")
            if "checked" in a:
                fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            fields[self._select] = None
        elif tag == "option" and self._select:
            if fields[self._select] is None or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            fields[self._textarea] = ""
        elif tag == "button":
            self._form["buttons"].append((a.get("name"), a.get("value")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._form is not None and self._textarea:
                # A browser drops the newline that follows <textarea>; so do we.
                self._form["fields"][self._textarea] = self._form["fields"][self._textarea].removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def form_fields(html: str, testid: str | None = None, action: str | None = None) -> dict[str, str]:
    """The fields of the page's first form (or the one with this data-testid / action) as a browser posts them."""
    for form in forms_of(html):
        if (testid is None or form["testid"] == testid) and (action is None or form["action"] == action):
            if form["fields"].get("csrf_token") and not form["fields"].get("role"):
                return dict(form["fields"])
    raise AssertionError(f"no form {testid or action or ''} on the page:\n{html[:2000]}")


def mark_fields(fields: dict[str, str]) -> list[str]:
    return [key for key in fields if re.fullmatch(r"mark-\d+", key)]


def column(html: str, name: str) -> str:
    return re.search(rf'data-col="{name}">([^<]*)<', html).group(1).strip()


def seed_figures(html: str) -> tuple[str, ...]:
    """The seed guide's seven figures of the first row of the IAMIS table."""
    review = re.search(r"REVIEW MARKS\((\d+)\) REMAINING", html).group(1)
    return (column(html, "centres"), column(html, "sample"), column(html, "reports"), review,
            column(html, "entered"), column(html, "cf-abs"), column(html, "new-marks"))


def page(browser: SignInActions, path: str, status: int = 200) -> str:
    response = browser.client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:1500]
    return response.get_data(as_text=True)


def fill_centre(html: str, *, marks: str | dict | None = None, **report: str) -> dict[str, str]:
    """The centre page's form with every moderated mark set (a value, or one per field) and report fields."""
    fields = form_fields(html, action=None)
    for key in mark_fields(fields):
        if isinstance(marks, dict):
            fields[key] = marks.get(key, fields[key])
        elif marks is not None:
            fields[key] = marks
    for name, value in report.items():
        fields[f"mark-report-{name}"] = value
    return fields


def complete_report(**overrides: str) -> dict[str, str]:
    return {"judgement": "accurate", "rank_order": "holds", "language": "cy",
            "assessment_comment": "Marcio cywir a chyson; ŵ ŷ.", **overrides}


def submit_centre(browser: SignInActions, path: str = MORGAN_CENTRE, marks: str = "40", **report: str):
    """Fill every moderated mark and the report, then press Submit report."""
    fields = fill_centre(page(browser, path), marks=marks, **complete_report(**report))
    return browser.client.post(path, data={**fields, "action": "submit"})


def switch_work_as(browser: SignInActions, role: str) -> None:
    html = page(browser, "/iamis/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = browser.client.post("/work-as", data={"csrf_token": token, "role": role, "next": "/iamis/"})
    assert response.status_code == 303
