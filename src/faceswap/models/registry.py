"""The on-disk registry of installed models: where each catalog entry lives and whether it is usable.

Nothing here touches the network: a missing model is an error that names the download command, so
the request path never downloads. A directory of files and ``.hash`` sidecars copied from elsewhere
works as is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from faceswap.choices import ModelName, ModelStatus, choices, parse_choice
from faceswap.errors import ModelHashMismatchError, ModelMissingError
from faceswap.models.catalog import CATALOG, ModelSpec
from faceswap.models.verify import Verification, parse_hash, verify_file

log = logging.getLogger(__name__)

PART_SUFFIX = ".part"
LOCK_SUFFIX = ".lock"


@dataclass(frozen=True)
class ModelEntry:
    """One catalog entry with where its file belongs and its current status."""

    spec: ModelSpec
    path: Path
    status: ModelStatus


def model_spec(name: str) -> ModelSpec:
    """The catalog entry of ``name``; a name outside ``ModelName`` raises BadOptionError."""
    return CATALOG[cast(ModelName, parse_choice(ModelName, name, "model name"))]


class ModelRegistry:
    """Looks up model files in one directory (``Settings().models_path``)."""

    def __init__(self, models_dir: Path) -> None:
        self._dir = Path(models_dir)

    @property
    def models_dir(self) -> Path:
        return self._dir

    def file_path(self, name: str) -> Path:
        """Where the model file belongs, whether or not it is there."""
        return self._dir / model_spec(name).file

    def hash_path(self, name: str) -> Path:
        """Where the model's ``.hash`` sidecar belongs."""
        return self._dir / model_spec(name).hash_file

    def part_path(self, name: str) -> Path:
        """Where an unfinished download of the model is kept (resumed by the next download)."""
        return self._dir / (model_spec(name).file + PART_SUFFIX)

    def lock_path(self, name: str) -> Path:
        """The lock file held while the model is downloaded (one download at a time per file)."""
        return self._dir / (model_spec(name).file + LOCK_SUFFIX)

    def status(self, name: str, *, deep: bool = False) -> ModelStatus:
        """installed, missing or corrupt.

        The cheap check (default) looks at the file and its sidecar without reading the model: an empty
        file or an unreadable sidecar is corrupt. ``deep`` also recomputes the CRC32 against the sidecar.
        """
        path = self.file_path(name)
        if not path.is_file():
            return "missing"
        if path.stat().st_size == 0:
            return "corrupt"
        sidecar = self.hash_path(name)
        if sidecar.is_file() and parse_hash(sidecar.read_text(encoding="ascii", errors="replace")) is None:
            return "corrupt"
        if deep and self.verify(name).outcome == "mismatch":
            return "corrupt"
        return "installed"

    def is_installed(self, name: str) -> bool:
        return self.status(name) == "installed"

    def path(self, name: str) -> Path:
        """The installed model file; raises ModelMissingError (naming the download command) otherwise."""
        path = self.file_path(name)
        status = self.status(name)
        if status == "missing":
            raise ModelMissingError(name, str(path))
        if status == "corrupt":
            raise ModelHashMismatchError(
                f"model {name!r} at {path} is damaged; run `faceswap models download {name}` to replace it"
            )
        return path

    def verify(self, name: str) -> Verification:
        """Recomputes the model file's CRC32 against its sidecar."""
        return verify_file(self.file_path(name), self.hash_path(name))

    def entries(self, *, deep: bool = False) -> tuple[ModelEntry, ...]:
        """Every catalog entry, in ``ModelName`` order, with its path and status."""
        return tuple(
            ModelEntry(spec=model_spec(name), path=self.file_path(name), status=self.status(name, deep=deep))
            for name in choices(ModelName)
        )
