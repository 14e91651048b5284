"""Routing: a page request is not matched against the JSON API's routes. Since FastAPI 0.137 an included
router is matched route by route, so without the API router declining paths outside /api/v1 every page
request first tried all of them (about 190 µs of a page's time here)."""
import pytest

import api.routes.tips as tip_routes


@pytest.fixture
def tried(monkeypatch) -> list[str]:
    """The paths the tip API's routes were matched against."""
    paths: list[str] = []
    matches = tip_routes.router.matches
    monkeypatch.setattr(tip_routes.router, "matches", lambda scope: paths.append(scope["path"]) or matches(scope))
    return paths


def test_a_page_request_does_not_try_the_api_routes(client, tried):
    assert client.get("/login").status_code == 200
    assert tried == []


def test_an_api_request_is_routed_through_the_api(client, tried):
    assert client.get("/api/v1/tips").status_code == 401  # no token: the API's own answer
    assert "/api/v1/tips" in tried
    assert client.get("/api/v1").status_code == 404  # the prefix alone names nothing
