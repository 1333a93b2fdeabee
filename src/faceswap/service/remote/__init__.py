"""Remote workers over HTTP (``faceswap worker --api URL --token T``): the worker's side of ``/api/comm``."""
