"""The task service: queue, task model, workers and HTTP API built on them."""
