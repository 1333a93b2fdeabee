"""``/docs`` (Swagger UI) and ``/redoc`` render with every request off the server refused: their scripts
and styles come from the package, not a CDN."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.service.live import Live


def _offline(context: Any, live: Live) -> list[str]:
    """Refuses every request that is not to the live server; returns the refused URLs as they happen."""
    own = urlsplit(live.url).netloc
    refused: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if urlsplit(url).netloc == own:
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    context.route("**/*", route)
    return refused


def test_swagger_ui_renders_the_api_with_the_network_blocked(context: Any, live: Live) -> None:
    refused = _offline(context, live)
    page = context.new_page()
    page.goto("/docs")
    # Swagger UI draws one block per operation once it has fetched and parsed /openapi.json
    page.wait_for_selector(".opblock-summary-path[data-path='/api/tasks/create']")
    assert page.locator(".opblock").count() > 10
    assert refused == []


def test_redoc_renders_the_api_with_the_network_blocked(context: Any, live: Live) -> None:
    refused = _offline(context, live)
    page = context.new_page()
    page.goto("/redoc")
    # ReDoc draws the API's title and one menu entry per operation from /openapi.json
    page.locator("h1", has_text="faceswap").first.wait_for()
    assert page.locator("[data-section-id^='operation/']").count() > 10
    # only ReDoc's "API docs by Redocly" footer logo is an outside request (an image, not needed)
    assert [url for url in refused if not url.endswith(".svg")] == []


def test_docs_assets_are_served_by_the_api(live: Live) -> None:
    import httpx

    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        response = httpx.get(f"{live.url}/docs-assets/{asset}", timeout=10)
        assert response.status_code == 200, asset
        assert len(response.content) > 50_000, asset
