"""``video``: how videos are decoded and encoded (``FACESWAP_VIDEO__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from faceswap.choices import VideoEncoderName


class VideoSettings(BaseModel):
    """Defaults of every video transcode (the CLI and the worker) when a request does not say."""

    encoder: VideoEncoderName | None = Field(
        default=None,
        description="H.264/HEVC encoder of MP4/MOV/MKV outputs: libx264, libx265, h264_nvenc, hevc_nvenc; "
        "none: libx264",
    )
    encoder_threads: int = Field(
        default=0, ge=0, description="x264/x265 threads; 0: three quarters of the CPU cores"
    )
    hardware_decode: bool = Field(
        default=True,
        description="decode with NVDEC (h264_cuvid/hevc_cuvid) when the engine runs on CUDA; software when "
        "it does not open",
    )
