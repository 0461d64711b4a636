"""The FastAPI application: limits, the token, error rendering and the static page.

``create_app(config)`` loads the rule files named in ``config`` (once; a request never names a
path) and returns the ASGI app; :mod:`subsidy.serve.routes` has the endpoints."""

from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from .._core import SubsidyError
from .encode import json_response
from .errors import ApiError, from_subsidy_error, json_path
from .state import Holder, Loaded, ServeConfig

STATIC = Path(__file__).parent / "static"
T = TypeVar("T")


class BodyLimit:
    """Refuses a body over ``limit`` bytes with 413, whether it declares its length or streams."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(scope, send)
                return
        seen = 0
        refused = False

        async def counted() -> Message:
            # Past the limit the client gets 413 at once and the app sees a disconnect.
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit and not refused:
                refused = True
                await self._refuse(scope, send)
            return {"type": "http.disconnect"} if refused else message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not refused:
                raise

    def _message(self) -> str:
        return f"the request body is over the limit of {self.limit} bytes"

    async def _refuse(self, scope: Scope, send: Send) -> None:
        response = json_response({"error": ApiError(413, "body_too_large", self._message()).body()}, 413)
        await response(scope, lambda: _empty(), send)


async def _empty() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _token_ok(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    given = header[7:] if header.lower().startswith("bearer ") else request.headers.get("x-subsidy-token", "")
    return hmac.compare_digest(given.encode(), token.encode())


def error_response(error: ApiError, loaded: Loaded | None) -> Response:
    body: dict[str, Any] = {"error": error.body()}
    if loaded is not None:
        body["receipt"] = loaded.receipt()
    response = json_response(body, error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _validation_error(exc: RequestValidationError) -> ApiError:
    first = exc.errors()[0]
    location = [part for part in first.get("loc", ()) if part != "body"]
    if first.get("type") == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", "not JSON")
        position = location[0] if location else 0
        return ApiError(400, "malformed_json", f"malformed JSON at byte {position}: {detail}")
    if first.get("type") == "money_not_string":
        return ApiError(422, "money_not_string", str(first["msg"]), json_path(location))
    if first.get("type") == "missing" and not location:
        return ApiError(400, "malformed_json", "the request needs a JSON body")
    return ApiError(422, "invalid_request", str(first["msg"]), json_path(location))


class Service:
    """What the routes share: the rule holder, the configuration, the engine's thread pool."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.holder = Holder(config)
        # The engine releases the GIL, so requests evaluate side by side on these threads.
        self.pool = ThreadPoolExecutor(max_workers=max(4, (os.cpu_count() or 1) * 2),
                                       thread_name_prefix="subsidy-serve")

    async def run(self, work: Callable[[], T]) -> T:
        """Runs ``work`` on the pool within the time limit (504 past it; the engine call itself
        runs to its end on its thread, its result unused)."""
        loop = asyncio.get_running_loop()
        future: Awaitable[T] = loop.run_in_executor(self.pool, work)
        try:
            return await asyncio.wait_for(future, self.config.time_limit_seconds)
        except asyncio.TimeoutError:
            raise ApiError(
                504, "time_limit",
                f"the request took longer than the limit of {self.config.time_limit_seconds:g} s",
            ) from None
        except SubsidyError as error:
            raise from_subsidy_error(error) from None
        except TypeError as error:
            raise ApiError(422, "invalid_value", str(error)) from None


def create_app(config: ServeConfig) -> FastAPI:
    from . import routes

    service = Service(config)
    app = FastAPI(
        title="subsidy",
        version=__version__,
        description=(
            "Award amounts computed, explained and audited exactly from YAML rule tables. "
            "Money and rates are JSON strings in and out; every response carries the receipt "
            "(rule-set fingerprint, scenario, engine version)."
        ),
        docs_url=None,   # the interactive docs load scripts from a CDN; the page works offline
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.service = service

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc, service.holder.current)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(_validation_error(exc), service.holder.current)

    @app.middleware("http")
    async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if config.token and path.startswith("/api/") and path != "/api/health":
            if not _token_ok(request, config.token):
                return error_response(
                    ApiError(401, "token_required", "this service needs its token: Authorization: Bearer TOKEN"),
                    None,
                )
        return await call_next(request)

    app.include_router(routes.router)
    app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    return app
