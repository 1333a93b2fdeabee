"""faceswap: a self-hostable face-swap service (CLI, HTTP API, queue, workers, storage)."""

__version__ = "0.1.0"
