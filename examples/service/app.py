"""A small inventory web service: the example relcheck starts and checks over HTTP.

Run it with ``python -m uvicorn app:app --app-dir examples/service --no-server-header``.
``APP_ENV=staging`` (or ``production``) loads ``deploy/<APP_ENV>.toml``; without it the
service runs with local defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

VERSION = "1.4.2"
DEPLOY_DIR = Path(__file__).parent / "deploy"
LOCAL_CONFIG: dict[str, Any] = {
    "service": {"environment": "local", "debug": False},
    "upload": {"max_mb": 1},
    "log": {"level": "info"},
    "security": {
        "headers": {
            "strict_transport_security": "max-age=63072000; includeSubDomains",
            "x_content_type_options": "nosniff",
            "x_frame_options": "DENY",
        }
    },
    "features": {"new_checkout": False, "bulk_import": False},
}
# Sent on every answer whatever the config says; the config adds HSTS and the others.
FIXED_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
ITEMS = [
    {"sku": "BOLT-M6", "name": "Hex bolt M6", "stock": 1200},
    {"sku": "NUT-M6", "name": "Hex nut M6", "stock": 860},
    {"sku": "WASHER-6", "name": "Washer 6 mm", "stock": 0},
]


def load_config(environment: str | None) -> dict[str, Any]:
    """The deploy config of ``environment``, or the local defaults."""
    if not environment:
        return LOCAL_CONFIG
    path = DEPLOY_DIR / f"{environment}.toml"
    with path.open("rb") as fh:
        return tomllib.load(fh)


def header_names(configured: dict[str, str]) -> dict[str, str]:
    """``{"x_frame_options": "DENY"}`` -> ``{"X-Frame-Options": "DENY"}``."""
    return {"-".join(w.capitalize() for w in k.split("_")): v for k, v in configured.items()}


def create_app(environment: str | None = None) -> FastAPI:
    """The application for one environment."""
    config = load_config(environment)
    app = FastAPI(title="inventory", version=VERSION, debug=config["service"]["debug"])
    upload_limit = int(config["upload"]["max_mb"]) * 1024 * 1024
    headers = {**FIXED_HEADERS, **header_names(config["security"]["headers"])}

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.update(headers)
        return response

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "version": VERSION,
            "environment": config["service"]["environment"],
            "checks": {"config": "ok"},
        }

    @app.get("/api/items")
    def items(in_stock: bool = False) -> dict[str, Any]:
        found = [i for i in ITEMS if i["stock"] > 0] if in_stock else ITEMS
        return {"items": found, "count": len(found)}

    @app.get("/api/items/{sku}")
    def item(sku: str) -> dict[str, Any]:
        for found in ITEMS:
            if found["sku"] == sku:
                return found
        raise HTTPException(status_code=404, detail=f"no item {sku}")

    @app.post("/api/uploads")
    async def upload(request: Request) -> JSONResponse:
        data = await request.body()
        if len(data) > upload_limit:
            return JSONResponse({"error": "upload too large"}, status_code=413)
        return JSONResponse({"received": len(data)}, status_code=201)

    return app


app = create_app(os.environ.get("APP_ENV"))
