"""Where the faces are in the shared public-domain test photos (measured once with dlib's 68 landmarks).

Key points are the 5 the engine uses: left eye centre, right eye centre, nose tip, left and right mouth
corner (as seen in the picture), in image pixels; boxes are x1, y1, x2, y2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhotoFace:
    file: str
    box: tuple[float, float, float, float]
    kps: tuple[tuple[float, float], ...]


ASTRONAUT = PhotoFace(
    file="astronaut.png",  # 512x512
    box=(172.0, 70.0, 275.0, 182.0),
    kps=((203.2, 101.5), (246.5, 104.2), (225.0, 127.0), (201.0, 139.0), (246.0, 141.0)),
)
GRACE_HOPPER = PhotoFace(
    file="grace_hopper.jpg",  # 512 wide, 600 high
    box=(175.0, 130.0, 360.0, 340.0),
    kps=((223.7, 192.3), (305.3, 187.5), (267.0, 238.0), (233.0, 281.0), (300.0, 277.0)),
)
