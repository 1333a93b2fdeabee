"""A ComfyUI client: API-format workflows and their inputs (graph), HTTP and websocket calls (client)."""
