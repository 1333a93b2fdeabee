"""Video I/O: probe, streaming decode -> process -> encode with PyAV, audio kept, all or nothing."""

from faceswap.video.options import VideoOptions, output_format
from faceswap.video.probe import VideoInfo, probe
from faceswap.video.transcode import ProcessBatch, Progress, VideoReport, transcode

__all__ = [
    "ProcessBatch",
    "Progress",
    "VideoInfo",
    "VideoOptions",
    "VideoReport",
    "output_format",
    "probe",
    "transcode",
]
