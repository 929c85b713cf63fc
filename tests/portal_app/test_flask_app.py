"""PortalFlask answers "is this function async?" once per function and otherwise behaves as Flask does."""

from __future__ import annotations

from portal_app.web.flask_app import PortalFlask


def test_hooks_and_views_run_at_every_request_with_their_answer_remembered():
    app = PortalFlask(__name__)
    seen = []
    app.before_request(lambda: seen.append("before"))
    app.after_request(lambda response: seen.append("after") or response)
    app.add_url_rule("/", "index", lambda: "hello")
    client = app.test_client()
    for _ in range(3):
        assert client.get("/").get_data(as_text=True) == "hello"
    assert seen == ["before", "after"] * 3
    assert len(app._synchronous) == 3  # the two hooks and the view, each inspected once


def test_an_unhashable_callable_is_asked_about_each_time_not_remembered():
    class Unhashable:
        __hash__ = None

        def __call__(self):
            return "ok"

    app, view = PortalFlask(__name__), Unhashable()
    assert app.ensure_sync(view) is view
    assert app._synchronous == {}
