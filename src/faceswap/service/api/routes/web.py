"""The web page: ``/`` serves ``index.html`` and ``/web/*`` its ES modules and CSS (package data in
``faceswap/web``); this router also carries the routes only the page needs (faces, options)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from faceswap.service.api.routes import faces, options

WEB_DIR = Path(str(files("faceswap").joinpath("web")))

router = APIRouter()
router.include_router(faces.router)
router.include_router(options.router)


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})


router.mount("/web", StaticFiles(directory=WEB_DIR), name="web")
