"""Every written image says it is AI-altered: XMP embedded per format and parsed back."""

from __future__ import annotations

import io
import zlib
from datetime import UTC, datetime

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from faceswap import __version__
from faceswap.errors import UnsupportedFormatError
from faceswap.imaging import DIGITAL_SOURCE_TYPE, Provenance, encode_image, read_provenance, to_xmp
from faceswap.imaging.provenance import parse_xmp

PROVENANCE = Provenance(
    engine="inswapper_128",
    models=("scrfd_2.5g", "arcface_w600k_r50", "inswapper_128"),
    enhancer="gfpgan_1.4",
    created=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "gif"])
def test_provenance_round_trip(fmt: str, photo_bgr: NDArray[np.uint8]) -> None:
    data = encode_image(photo_bgr, None, fmt, provenance=PROVENANCE)  # type: ignore[arg-type]
    record = read_provenance(data)
    assert record is not None
    assert record["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert record["creator_tool"] == f"faceswap {__version__}"
    assert record["engine"] == "inswapper_128"
    assert record["models"] == ["scrfd_2.5g", "arcface_w600k_r50", "inswapper_128"]
    assert record["enhancer"] == "gfpgan_1.4"
    assert record["created"] == "2025-03-04T05:06:07+00:00"
    assert "AI-altered" in str(record["description"])


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_pillow_sees_the_digital_source_type(fmt: str, photo_bgr: NDArray[np.uint8]) -> None:
    data = encode_image(photo_bgr, None, fmt, provenance=PROVENANCE)  # type: ignore[arg-type]
    xmp = Image.open(io.BytesIO(data)).getxmp()
    description = xmp["xmpmeta"]["RDF"]["Description"]
    assert description["DigitalSourceType"] == DIGITAL_SOURCE_TYPE
    assert description["CreatorTool"].startswith("faceswap ")


def test_jpeg_carries_an_app1_xmp_segment(photo_bgr: NDArray[np.uint8]) -> None:
    data = encode_image(photo_bgr, None, "jpeg", provenance=PROVENANCE)
    assert b"\xff\xe1" in data[:4096]
    assert b"http://ns.adobe.com/xap/1.0/\x00" in data[:4096]


def test_png_carries_an_itxt_xmp_chunk_before_the_pixels(photo_bgr: NDArray[np.uint8]) -> None:
    chunks = png_chunks(encode_image(photo_bgr, None, "png", provenance=PROVENANCE))
    kinds = [kind for kind, _ in chunks]
    xmp_at = next(i for i, (kind, body) in enumerate(chunks) if kind == b"iTXt")
    assert chunks[xmp_at][1].startswith(b"XML:com.adobe.xmp\x00")
    assert xmp_at < kinds.index(b"IDAT")
    assert DIGITAL_SOURCE_TYPE.encode() in chunks[xmp_at][1]


def test_webp_carries_an_xmp_chunk(photo_bgr: NDArray[np.uint8]) -> None:
    data = encode_image(photo_bgr, None, "webp", provenance=PROVENANCE)
    assert data[12:16] == b"VP8X"
    assert b"XMP " in data


def test_no_provenance_when_none_was_given(photo_bgr: NDArray[np.uint8]) -> None:
    for fmt in ("jpeg", "png", "webp", "gif", "bmp"):
        assert read_provenance(encode_image(photo_bgr, None, fmt)) is None  # type: ignore[arg-type]
    assert read_provenance(encode_image(photo_bgr, None, "bmp", provenance=PROVENANCE)) is None


def test_values_are_escaped() -> None:
    tricky = Provenance(engine="a<b>&c", models=('"x"', "y&z"), enhancer=None)
    record = parse_xmp(to_xmp(tricky))
    assert record is not None
    assert record["engine"] == "a<b>&c"
    assert record["models"] == ['"x"', "y&z"]
    assert "enhancer" not in record


def test_naive_datetimes_are_taken_as_utc() -> None:
    record = parse_xmp(to_xmp(Provenance(engine="classic", created=datetime(2024, 1, 2, 3, 4, 5))))
    assert record is not None
    assert record["created"] == "2024-01-02T03:04:05+00:00"


def test_hostile_or_foreign_packets_yield_nothing() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>'
    )
    assert parse_xmp(bomb) is None
    assert parse_xmp(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><broken") is None
    assert parse_xmp(b"no xmp here") is None
    assert parse_xmp(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b" " * (2 << 20) + b"</x:xmpmeta>") is None
    foreign = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/></x:xmpmeta>"
    assert parse_xmp(foreign) is None


def test_attribute_form_is_read() -> None:
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        b'Iptc4xmpExt:DigitalSourceType="' + DIGITAL_SOURCE_TYPE.encode() + b'"/></rdf:RDF></x:xmpmeta>'
    )
    assert parse_xmp(packet) == {"digital_source_type": DIGITAL_SOURCE_TYPE}


def test_read_provenance_refuses_non_images() -> None:
    with pytest.raises(UnsupportedFormatError):
        read_provenance(b"\x1a\x45\xdf\xa3\x84\x42\x82\x81w")
    with pytest.raises(UnsupportedFormatError):
        read_provenance(zlib.compress(b"not an image"))
