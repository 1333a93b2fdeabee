"""The FastAPI dependencies the routes share, each an ``Annotated`` type a route names as a parameter.

``State`` is the app's :class:`ServiceState` as the request's API key sees it (its tasks and files only),
with a storage view that deletes what the request stored when its route raises (a refused request leaves
no file behind; :mod:`.request_files`); ``Tasks`` is its task client and ``AppSettings`` its settings.
``ProcessState`` is the state of the whole process, not scoped to a key (``/metrics``). ``Comm`` is the
remote workers' leases, once the request's worker token is checked. ``KeysRequired`` says whether
``/api/*`` wants an API key now, and ``IdempotencyKey`` is the ``Idempotency-Key`` header.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated, cast

from fastapi import Depends, Header, Request

from faceswap.config import Settings
from faceswap.service.api.auth import keys_required
from faceswap.service.api.request_files import RequestStorage
from faceswap.service.api.state import ServiceState
from faceswap.service.comm.leases import Leases
from faceswap.service.tasks.client import TaskClient


def process_state(request: Request) -> ServiceState:
    """The app's state, set by its lifespan, for every request alike."""
    return cast(ServiceState, request.app.state.faceswap)


async def request_state(request: Request) -> AsyncIterator[ServiceState]:
    """The app's state scoped to the request's API key, with a storage that forgets what a refused
    request stored."""
    state = process_state(request)
    owner = getattr(request.state, "owner", None)
    scoped = state if owner is None else state.owned_by(owner)
    storage = RequestStorage(scoped.storage)
    try:
        yield replace(scoped, storage=storage)
    except BaseException:
        await storage.discard()
        raise


State = Annotated[ServiceState, Depends(request_state)]


def request_tasks(state: State) -> TaskClient:
    return state.tasks


def settings(request: Request) -> Settings:
    return process_state(request).settings


def leases(request: Request, authorization: Annotated[str | None, Header()] = None) -> Leases:
    """The app's leases, once the request's worker token is checked (401 without a valid one; 404 when
    no worker token is configured)."""
    comm = cast(Leases, request.app.state.faceswap_comm)
    comm.tokens.check(authorization)
    return comm


ProcessState = Annotated[ServiceState, Depends(process_state)]
Tasks = Annotated[TaskClient, Depends(request_tasks)]
AppSettings = Annotated[Settings, Depends(settings)]
Comm = Annotated[Leases, Depends(leases)]
KeysRequired = Annotated[bool, Depends(keys_required)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]
