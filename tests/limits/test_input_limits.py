"""check_media: bytes, pixels, video length and frames, and the type told by content, never by name."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from faceswap.config import InputLimits, Settings
from faceswap.errors import (
    FaceswapError,
    InputError,
    InputTooLargeError,
    NotFoundError,
    UnreadableInputError,
    UnsupportedFormatError,
)
from faceswap.limits import MAX_ASPECT_RATIO, MIN_SIDE, check_face_room, check_media, check_size
from tests.limits.conftest import CLIP_FPS, CLIP_SECONDS, CLIP_SIZE, FACES_DIR, with_png_size

DEFAULTS = InputLimits()


def code_of(exc: pytest.ExceptionInfo[FaceswapError]) -> str:
    return exc.value.code


def test_images_report_their_type_and_size(png_bytes: bytes, jpeg_bytes: bytes) -> None:
    for data, media_type in ((png_bytes, "png"), (jpeg_bytes, "jpeg")):
        info = check_media(data, "image", DEFAULTS)
        with Image.open(io.BytesIO(data)) as reference:
            assert (info.width, info.height) == reference.size
        assert info.media_type == media_type
        assert info.kind == "image"
        assert info.duration is None


def test_oversized_upload_is_refused_for_bytes_and_files(png_bytes: bytes, tmp_path: Path) -> None:
    limits = InputLimits(max_bytes=len(png_bytes) - 1)
    path = tmp_path / "face.png"
    path.write_bytes(png_bytes)
    for source in (png_bytes, path):
        with pytest.raises(InputTooLargeError, match=f"the limit is {len(png_bytes) - 1} bytes") as info:
            check_media(source, "image", limits)
        assert code_of(info) == "input_too_large"
    check_media(png_bytes, "image", InputLimits(max_bytes=len(png_bytes)))
    check_size(len(png_bytes), InputLimits(max_bytes=len(png_bytes)))
    with pytest.raises(InputTooLargeError):
        check_size(len(png_bytes) + 1, InputLimits(max_bytes=len(png_bytes)))


def test_decompression_bomb_header_is_refused_before_decoding(png_bytes: bytes) -> None:
    """A small file whose header claims 100000x100000 pixels (10 gigapixels)."""
    bomb = with_png_size(png_bytes, 100_000, 100_000)
    assert len(bomb) == len(png_bytes)
    with pytest.raises(InputTooLargeError) as info:
        check_media(bomb, "image", DEFAULTS)
    assert code_of(info) == "input_too_large"


def test_pixel_limit_is_the_configured_one(png_bytes: bytes) -> None:
    """A header just over our limit but under Pillow's own bomb threshold is still refused."""
    over = with_png_size(png_bytes, 9000, 9000)  # 81 Mpx: Pillow only warns; the default limit is 64 Mpx
    with pytest.raises(InputTooLargeError, match="9000x9000"):
        check_media(over, "image", DEFAULTS)
    with pytest.raises(InputTooLargeError, match="512x512"):
        check_media(png_bytes, "image", InputLimits(max_image_pixels=512 * 512 - 1))
    assert check_media(png_bytes, "image", InputLimits(max_image_pixels=512 * 512)).width == 512


def test_video_reports_duration_and_frames(clip_path: Path) -> None:
    info = check_media(clip_path, "video", DEFAULTS)
    assert info.media_type == "mp4"
    assert (info.width, info.height) == CLIP_SIZE
    assert info.duration == pytest.approx(CLIP_SECONDS, abs=0.15)
    assert info.frames == round(CLIP_SECONDS * CLIP_FPS)


def test_video_bytes_are_checked_like_files(clip_path: Path) -> None:
    info = check_media(clip_path.read_bytes(), "video", DEFAULTS)
    assert info.frames == round(CLIP_SECONDS * CLIP_FPS)


def test_video_longer_than_the_limit_is_refused(clip_path: Path) -> None:
    with pytest.raises(InputTooLargeError, match=r"lasts 2\.\d s; the limit is 1\.5 s") as info:
        check_media(clip_path, "video", InputLimits(max_video_seconds=1.5))
    assert code_of(info) == "input_too_large"
    check_media(clip_path, "video", InputLimits(max_video_seconds=2.5))


def test_video_with_too_many_frames_is_refused(clip_path: Path) -> None:
    frames = round(CLIP_SECONDS * CLIP_FPS)
    with pytest.raises(InputTooLargeError, match=f"{frames} frames; the limit is {frames - 1}"):
        check_media(clip_path, "video", InputLimits(max_video_frames=frames - 1))
    check_media(clip_path, "video", InputLimits(max_video_frames=frames))


def test_video_frame_size_limit(clip_path: Path) -> None:
    width, height = CLIP_SIZE
    with pytest.raises(InputTooLargeError, match=f"{width}x{height}"):
        check_media(clip_path, "video", InputLimits(max_video_pixels=width * height - 1))


def test_animated_gif_counts_as_a_video(gif_bytes: bytes) -> None:
    info = check_media(gif_bytes, "video", DEFAULTS)
    assert (info.media_type, info.kind, info.frames) == ("gif", "video", 3)
    with pytest.raises(InputTooLargeError):
        check_media(with_gif_size(gif_bytes, 20000, 20000), "video", DEFAULTS)


def with_gif_size(gif: bytes, width: int, height: int) -> bytes:
    """``gif`` with its logical screen claiming ``width`` x ``height`` (the size Pillow reports)."""
    size = width.to_bytes(2, "little") + height.to_bytes(2, "little")
    return gif[:6] + size + gif[10:]


def test_content_decides_not_the_name(png_bytes: bytes, clip_path: Path, tmp_path: Path) -> None:
    misnamed_video = tmp_path / "face.jpg"
    misnamed_video.write_bytes(clip_path.read_bytes())
    misnamed_image = tmp_path / "clip.mp4"
    misnamed_image.write_bytes(png_bytes)

    assert check_media(misnamed_image, "image", DEFAULTS).media_type == "png"
    assert check_media(misnamed_video, "video", DEFAULTS).media_type == "mp4"
    with pytest.raises(UnsupportedFormatError, match="expected an image; the content is a mp4 video") as info:
        check_media(misnamed_video, "image", DEFAULTS)
    assert code_of(info) == "unsupported_format"
    with pytest.raises(UnsupportedFormatError, match="the content is a png image"):
        check_media(misnamed_image, "video", DEFAULTS)


def test_text_named_like_an_image_is_unsupported(tmp_path: Path) -> None:
    fake = tmp_path / "face.jpg"
    fake.write_text("<html>not a picture</html>")
    with pytest.raises(UnsupportedFormatError) as info:
        check_media(fake, "image", DEFAULTS)
    assert code_of(info) == "unsupported_format"


def test_magic_bytes_alone_do_not_pass(png_bytes: bytes) -> None:
    """Right signature, garbage after it: the real parse refuses it."""
    with pytest.raises(UnreadableInputError) as info:
        check_media(png_bytes[:8] + b"\x00" * 64, "image", DEFAULTS)
    assert code_of(info) == "unreadable_input"
    with pytest.raises(UnreadableInputError):
        check_media(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 200, "video", DEFAULTS)


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        check_media(tmp_path / "nothing.png", "image", DEFAULTS)


def test_limits_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACESWAP_LIMITS__MAX_VIDEO_SECONDS", "12.5")
    monkeypatch.setenv("FACESWAP_FETCH__ALLOW_PRIVATE", '["10.0.0.0/8", "MinIO.internal"]')
    settings = Settings()
    assert settings.limits.max_video_seconds == 12.5
    assert settings.fetch.allow_private == ["10.0.0.0/8", "minio.internal"]
    monkeypatch.setenv("FACESWAP_FETCH__ALLOW_PRIVATE", '["http://10.0.0.1/"]')
    with pytest.raises(ValueError, match="neither an IP network nor a host name"):
        Settings()


def test_image_checks_do_not_import_video_or_engine_libraries() -> None:
    """The API process checks images with Pillow alone (fresh interpreter)."""
    script = (
        "import json, sys; from pathlib import Path\n"
        "from faceswap.config import InputLimits; from faceswap.limits import check_media\n"
        "check_media(Path(sys.argv[1]), 'image', InputLimits())\n"
        "print(json.dumps(sorted(m for m in ('av', 'cv2', 'onnxruntime', 'dlib') if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(FACES_DIR / "astronaut.png")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    ("width", "height", "words"),
    [
        (1, 3000, "too thin"),
        (3000, 1, "too thin"),
        (16, 513, "too thin"),
        (1, 1, "too small"),
        (15, 200, "too small"),
        (8, 8, "too small"),
    ],
)
def test_pictures_without_room_for_a_face_are_bad_input(width: int, height: int, words: str) -> None:
    with pytest.raises(InputError) as exc:
        check_face_room(width, height, "the target")
    assert exc.value.code == "bad_input"
    assert exc.value.exit_code == 3
    assert exc.value.message.startswith(f"the target is {width}x{height} pixels, {words} to hold a face")


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (MIN_SIDE, MIN_SIDE),  # a tiny avatar
        (MIN_SIDE, MIN_SIDE * MAX_ASPECT_RATIO),
        (512, 600),  # Grace Hopper
        (4032, 3024),  # a phone photo
        (16000, 2000),  # a panorama, 8:1
        (1080, 21600),  # a long screenshot, 20:1
        (7680, 4320),
    ],
)
def test_photos_with_room_for_a_face_pass(width: int, height: int) -> None:
    check_face_room(width, height)
