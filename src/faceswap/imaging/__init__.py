"""Image I/O: type sniffing by content, safe decoding, encoding with PROVENANCE metadata, atomic writes."""

from faceswap.imaging.decode import (
    DEFAULT_MAX_PIXELS,
    DecodedImage,
    decode_image,
    is_animated,
    read_image,
)
from faceswap.imaging.encode import encode_image, flatten_alpha, format_for_path, write_image
from faceswap.imaging.provenance import DIGITAL_SOURCE_TYPE, Provenance, read_provenance, to_xmp
from faceswap.imaging.sniff import (
    EXTENSIONS,
    IMAGE_TYPES,
    MIME_TYPES,
    SNIFF_BYTES,
    VIDEO_TYPES,
    extension,
    is_image,
    is_video,
    mime_type,
    sniff,
    sniff_file,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DIGITAL_SOURCE_TYPE",
    "EXTENSIONS",
    "IMAGE_TYPES",
    "MIME_TYPES",
    "SNIFF_BYTES",
    "VIDEO_TYPES",
    "DecodedImage",
    "Provenance",
    "decode_image",
    "encode_image",
    "extension",
    "flatten_alpha",
    "format_for_path",
    "is_animated",
    "is_image",
    "is_video",
    "mime_type",
    "read_image",
    "read_provenance",
    "sniff",
    "sniff_file",
    "to_xmp",
    "write_image",
]
