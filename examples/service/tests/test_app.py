"""The example service's own tests: the app served by uvicorn on 127.0.0.1, asked by httpx."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from app import FIXED_HEADERS, VERSION, create_app


@contextmanager
def serving(environment: str | None = None) -> Iterator[httpx.Client]:
    """The app on a free port of 127.0.0.1, and a client for it."""
    config = uvicorn.Config(
        create_app(environment),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        server_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the app stopped while starting"
        assert time.monotonic() < deadline, "the app did not start within 10s"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with serving() as c:
        yield c


def test_health_says_ok_with_the_version(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": VERSION,
        "environment": "local",
        "checks": {"config": "ok"},
    }


def test_every_answer_carries_the_security_headers(client: httpx.Client) -> None:
    for path in ("/health", "/api/items", "/api/items/NOPE"):
        response = client.get(path)
        for name, value in FIXED_HEADERS.items():
            assert response.headers[name] == value
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["strict-transport-security"].startswith("max-age=63072000")
        assert "server" not in response.headers


def test_items_can_be_filtered_to_those_in_stock(client: httpx.Client) -> None:
    assert client.get("/api/items").json()["count"] == 3
    in_stock = client.get("/api/items", params={"in_stock": "true"}).json()
    assert [i["sku"] for i in in_stock["items"]] == ["BOLT-M6", "NUT-M6"]


def test_an_unknown_item_is_a_404(client: httpx.Client) -> None:
    response = client.get("/api/items/NOPE")
    assert response.status_code == 404
    assert response.json() == {"detail": "no item NOPE"}


def test_uploads_over_the_limit_are_refused(client: httpx.Client) -> None:
    assert client.post("/api/uploads", content=b"x" * 1024).status_code == 201
    too_big = b"x" * (1024 * 1024 + 1)
    assert client.post("/api/uploads", content=too_big).status_code == 413


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_the_deploy_configs_load_and_name_their_environment(environment: str) -> None:
    with serving(environment) as client:
        assert client.get("/health").json()["environment"] == environment
