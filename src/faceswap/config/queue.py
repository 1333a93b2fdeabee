"""``queue``: where tasks wait (``FACESWAP_QUEUE__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class QueueSettings(BaseModel):
    """Where tasks wait: ``sqlite://PATH``, ``redis://...`` or ``postgres(ql)://...``."""

    url: str = Field(
        default="",
        description="queue URL (env FACESWAP_QUEUE__URL); empty: the SQLite file DATA_DIR/queue.sqlite3",
    )
    name: str = Field(default="faceswap", min_length=1, description="queue name shared by API and workers")
