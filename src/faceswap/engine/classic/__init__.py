"""The offline classic engine: dlib detection, landmarks and embedding; piecewise-affine face swap."""

from faceswap.engine.classic.engine import CLASSIC_MODELS, build_classic_engine

__all__ = ["CLASSIC_MODELS", "build_classic_engine"]
