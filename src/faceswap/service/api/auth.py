"""API keys at the edge: who a request is (its key), whether it may come in, and how often.

``AuthMiddleware`` guards ``/api/*`` except the worker routes (``/api/comm/*``, worker tokens only) and
the public ``/api/health`` and ``/api/options``. Keys are required once one exists (or with
``service.require_api_key``), presented as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``;
a missing or unknown key answers 401 ``unauthorized``, a worker token 401 as well (worker tokens are for
``/api/comm/*`` only, and user keys are not worker tokens there). The request's key id goes to
``request.state.owner``, which scopes tasks and files to it (:mod:`faceswap.service.api.owned`). Keys
are never logged: only their names are.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any

from fastapi import Request
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from faceswap.config import ServiceSettings
from faceswap.errors import FaceswapError, RateLimitedError, UnauthorizedError
from faceswap.service.api.ratelimit import RateLimiter
from faceswap.service.comm.auth import WorkerTokens
from faceswap.service.keys.model import ApiKey, key_digest
from faceswap.service.keys.store import KeyStore

logger = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/api/health", "/api/options"})
WORKER_PREFIX = "/api/comm/"
CACHE_S = 2.0
"""How long a lookup (a key, or whether any key exists) is reused: a revoked key stops working within
this many seconds on every replica."""
_MISSING = "an API key is required (Authorization: Bearer <key> or X-API-Key: <key>)"
KEY_COOKIE = "faceswap_key"
"""A cookie the web page sets to the key it holds, so that what the browser fetches by itself (images,
downloads, the events stream) carries it; accepted on GET and HEAD only, so a form another site posts
can never act with it (it is also ``SameSite=Strict``)."""
COOKIE_METHODS = frozenset({"GET", "HEAD"})


def guarded(path: str) -> bool:
    """Whether requests to ``path`` need an API key (when keys are in use)."""
    return path.startswith("/api/") and not path.startswith(WORKER_PREFIX) and path not in PUBLIC_PATHS


def presented_key(headers: Headers, method: str = "GET") -> str | None:
    """The key a request presents (``X-API-Key`` or a bearer ``Authorization``; for a GET or HEAD also
    the :data:`KEY_COOKIE` cookie), if any."""
    if api_key := headers.get("x-api-key", "").strip():
        return api_key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if scheme:
        raise UnauthorizedError("the Authorization header must be 'Bearer <key>'")
    if method in COOKIE_METHODS:
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except CookieError:
            return None
        morsel = cookie.get(KEY_COOKIE)
        return morsel.value.strip() or None if morsel is not None else None
    return None


async def keys_required(request: Request) -> bool:
    """Whether this API wants a key on ``/api/*`` now (for ``/api/options``, so a page can ask for one)."""
    auth: Authenticator | None = getattr(request.app.state, "faceswap_auth", None)
    return auth is not None and await auth.required()


@dataclass
class Authenticator:
    """Checks requests' keys against ``store`` (lookups cached for :data:`CACHE_S`) and rate-limits them
    with ``limiter``."""

    store: KeyStore
    settings: ServiceSettings
    limiter: RateLimiter
    workers: WorkerTokens = field(init=False)
    _cache: dict[str, tuple[float, ApiKey | None]] = field(default_factory=dict)
    _count: tuple[float, int] = (0.0, 0)

    def __post_init__(self) -> None:
        self.workers = WorkerTokens.from_setting(self.settings.worker_tokens)

    async def _keys_exist(self) -> bool:
        checked, count = self._count
        if time.monotonic() - checked > CACHE_S:
            count = await self.store.count()
            self._count = (time.monotonic(), count)
        return count > 0

    async def _lookup(self, secret: str) -> ApiKey | None:
        digest = key_digest(secret)
        cached = self._cache.get(digest)
        if cached is not None and time.monotonic() - cached[0] <= CACHE_S:
            return cached[1]
        if len(self._cache) > 10_000:
            self._cache.clear()
        key = await self.store.lookup(digest)
        self._cache[digest] = (time.monotonic(), key)
        return key

    async def required(self) -> bool:
        """Whether requests need a key now: ``service.require_api_key``, or a key exists."""
        return self.settings.require_api_key or await self._keys_exist()

    async def authenticate(self, headers: Headers, method: str = "GET") -> ApiKey | None:
        """The request's key; None when keys are not in use. Raises 401 or 429 errors."""
        secret = presented_key(headers, method)
        if secret is not None and self.workers.enabled and self.workers.accepts(secret):
            raise UnauthorizedError("worker tokens are only accepted on /api/comm/*; use an API key")
        if not await self.required():
            return None
        if secret is None:
            raise UnauthorizedError(_MISSING)
        key = await self._lookup(secret)
        if key is None:
            raise UnauthorizedError("the API key is not valid")
        per_minute = key.rate_limit_per_minute or self.settings.rate_limit_per_minute
        if per_minute is not None:
            await self.limiter.take(key.id, per_minute)
        return key

    async def aclose(self) -> None:
        await self.limiter.aclose()


def error_response(exc: FaceswapError) -> JSONResponse:
    headers = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    elif isinstance(exc, UnauthorizedError):
        headers["WWW-Authenticate"] = "Bearer"
    body = {"success": False, "error": exc.to_dict()}
    return JSONResponse(body, status_code=exc.http_status, headers=headers)


class AuthMiddleware:
    """ASGI middleware running the app's :class:`Authenticator` (``app.state.faceswap_auth``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not guarded(scope["path"]) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        auth: Authenticator | None = getattr(scope["app"].state, "faceswap_auth", None)
        if auth is None:  # the lifespan has not run (or failed): nothing is served without it
            await self.app(scope, receive, send)
            return
        try:
            key = await auth.authenticate(Headers(scope=scope), scope["method"])
        except FaceswapError as exc:
            logger.info("%s %s refused: %s", scope["method"], scope["path"], exc.code)
            await error_response(exc)(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        if key is not None:
            state["owner"] = key.id
            logger.debug("%s %s as key %r", scope["method"], scope["path"], key.name)
        await self.app(scope, receive, send)
