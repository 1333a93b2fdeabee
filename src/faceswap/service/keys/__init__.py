"""User API keys: stored hashed next to the queue's data, checked by the API (see docs/deployment.md)."""
