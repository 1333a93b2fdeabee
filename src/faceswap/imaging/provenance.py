"""PROVENANCE: every output says, in XMP metadata, that it was altered by an AI model.

The packet carries the IPTC Digital Source Type ``compositeWithTrainedAlgorithmicMedia``
(``Iptc4xmpExt:DigitalSourceType``), ``xmp:CreatorTool`` "faceswap <version>", a human-readable
``dc:description`` and, in a small ``faceswap:`` namespace, the engine, models and enhancer that ran.
:mod:`faceswap.imaging.encode` embeds it (JPEG APP1, PNG iTXt ``XML:com.adobe.xmp``, WebP ``XMP `` chunk,
GIF comment); :func:`read_provenance` parses it back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedET

from faceswap import __version__
from faceswap.errors import UnsupportedFormatError
from faceswap.imaging.decode import image_format, open_image

logger = logging.getLogger(__name__)

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
MAX_XMP_BYTES = 1 << 20
"""Larger XMP packets are not parsed."""

NS_X = "adobe:ns:meta/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
NS_FACESWAP = "urn:faceswap:xmp:1.0/"

ProvenanceRecord = dict[str, str | list[str]]
"""What :func:`read_provenance` returns: keys ``digital_source_type``, ``creator_tool``, ``created``,
``description``, ``engine``, ``enhancer`` (str) and ``models`` (list), each only when present."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Provenance:
    """What produced an output: the engine, the models that ran, the enhancer, and when."""

    engine: str
    models: tuple[str, ...] = ()
    enhancer: str | None = None
    created: datetime = field(default_factory=_now)

    @property
    def creator_tool(self) -> str:
        return f"faceswap {__version__}"

    @property
    def description(self) -> str:
        parts = [f"AI-altered image: face swapped by {self.creator_tool} with engine {self.engine}"]
        if self.models:
            parts.append(f"models {', '.join(self.models)}")
        if self.enhancer:
            parts.append(f"enhanced with {self.enhancer}")
        return "; ".join(parts)


def to_xmp(provenance: Provenance) -> bytes:
    """The XMP packet (UTF-8, with ``<?xpacket?>`` wrapper) that marks an output as AI-altered."""
    created = provenance.created
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    date = created.isoformat(timespec="seconds")
    models = "".join(f"<rdf:li>{escape(m)}</rdf:li>" for m in provenance.models)
    enhancer = (
        f"\n   <faceswap:Enhancer>{escape(provenance.enhancer)}</faceswap:Enhancer>"
        if provenance.enhancer
        else ""
    )
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="{NS_X}">
 <rdf:RDF xmlns:rdf="{NS_RDF}">
  <rdf:Description rdf:about=""
    xmlns:dc="{NS_DC}"
    xmlns:xmp="{NS_XMP}"
    xmlns:Iptc4xmpExt="{NS_IPTC_EXT}"
    xmlns:faceswap="{NS_FACESWAP}">
   <Iptc4xmpExt:DigitalSourceType>{DIGITAL_SOURCE_TYPE}</Iptc4xmpExt:DigitalSourceType>
   <xmp:CreatorTool>{escape(provenance.creator_tool)}</xmp:CreatorTool>
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:MetadataDate>{date}</xmp:MetadataDate>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(provenance.description)}</rdf:li></rdf:Alt></dc:description>
   <faceswap:Engine>{escape(provenance.engine)}</faceswap:Engine>
   <faceswap:Models><rdf:Seq>{models}</rdf:Seq></faceswap:Models>{enhancer}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


def parse_xmp(packet: bytes | str) -> ProvenanceRecord | None:
    """The provenance fields of an XMP packet; None when it has none or cannot be parsed safely."""
    raw = packet.encode("utf-8") if isinstance(packet, str) else bytes(packet)
    if len(raw) > MAX_XMP_BYTES:
        logger.warning(
            "XMP packet of %d bytes is over the %d-byte limit; not parsed", len(raw), MAX_XMP_BYTES
        )
        return None
    start, end = raw.find(b"<x:xmpmeta"), raw.rfind(b"</x:xmpmeta>")
    if start < 0 or end < start:
        return None
    body = raw[start : end + len(b"</x:xmpmeta>")]
    try:
        root = DefusedET.fromstring(body, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        logger.warning("XMP packet not parsed: %s", exc)
        return None
    record: ProvenanceRecord = {}
    simple = {
        "digital_source_type": f"{{{NS_IPTC_EXT}}}DigitalSourceType",
        "creator_tool": f"{{{NS_XMP}}}CreatorTool",
        "created": f"{{{NS_XMP}}}CreateDate",
        "engine": f"{{{NS_FACESWAP}}}Engine",
        "enhancer": f"{{{NS_FACESWAP}}}Enhancer",
    }
    for key, tag in simple.items():
        value = _find_value(root, tag)
        if value is not None:
            record[key] = value
    description = root.find(f".//{{{NS_DC}}}description//{{{NS_RDF}}}li")
    if description is not None and description.text:
        record["description"] = description.text.strip()
    models = root.find(f".//{{{NS_FACESWAP}}}Models")
    if models is not None:
        record["models"] = [li.text.strip() for li in models.iter(f"{{{NS_RDF}}}li") if li.text]
    return record or None


def _find_value(root: ElementTree.Element, tag: str) -> str | None:
    """A simple XMP property, written as an element or as an attribute of ``rdf:Description``."""
    element = root.find(f".//{tag}")
    if element is not None and element.text and element.text.strip():
        return element.text.strip()
    for description in root.iter(f"{{{NS_RDF}}}Description"):
        if tag in description.attrib:
            return description.attrib[tag]
    return None


def read_provenance(data: bytes) -> ProvenanceRecord | None:
    """The provenance embedded in an encoded image (header only, pixels are not decoded); None if none.

    Raises :class:`UnsupportedFormatError` for content that is not an image this package writes and
    :class:`UnreadableInputError` for a corrupt header.
    """
    try:
        fmt = image_format(data)
    except UnsupportedFormatError as exc:
        raise UnsupportedFormatError(f"no image provenance can be read: {exc.message}") from exc
    with open_image(data, fmt, max_pixels=None) as image:
        info = dict(image.info)
    for key in ("xmp", "XML:com.adobe.xmp", "comment"):
        packet = info.get(key)
        if isinstance(packet, bytes | str):
            record = parse_xmp(packet)
            if record is not None:
                return record
    return None
