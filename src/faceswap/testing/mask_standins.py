"""Stand-ins for the mask models with their real signatures, whose masks follow the input's colours.

XSeg (``input`` Nx256x256x3 NHWC BGR in [0, 1] -> Nx256x256x1): a pixel is occluded (0) where it is
red in BGR terms: ``x[..., 2] - (x[..., 0] + x[..., 1]) / 2 > 0.5``. Fed RGB, a red bar reads blue and is
not marked; fed raw 0..255, skin reads occluded; fed NCHW, the shapes do not fit.

BiSeNet (``input`` Nx3x512x512 RGB with ImageNet's mean and std -> Nx19x512x512 logits): class 1 (skin)
where ``3 (r - 1.5) + (r - b) > 0`` of the normalised red and blue channels (a light, warm pixel: red
over about 212 of 255), class 0 (background) elsewhere. Fed BGR, or in [0, 1] without the mean and std
(where r cannot pass 1.5), a skin-coloured patch is not skin.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from faceswap.engine.onnx.signature import FACE_PARSER_CLASSES, FACE_PARSER_SIZE, OCCLUDER_SIZE
from faceswap.testing.onnx_files import save_standin
from faceswap.testing.standins import BATCH

SHARPNESS = 40.0


def write_xseg_standin(path: Path) -> Path:
    """XSeg stand-in (see the module docstring): red pixels (BGR) are occluders."""
    inits = [
        numpy_helper.from_array(np.array([-0.5, -0.5, 1.0], np.float32), "redness"),
        numpy_helper.from_array(np.array(0.5, np.float32), "threshold"),
        numpy_helper.from_array(np.array(-SHARPNESS, np.float32), "sharpness"),
    ]
    nodes = [
        helper.make_node("Mul", ["input", "redness"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axes"], ["red"], keepdims=1),
        helper.make_node("Sub", ["red", "threshold"], ["margin"]),
        helper.make_node("Mul", ["margin", "sharpness"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["output"]),
    ]
    inits.append(numpy_helper.from_array(np.array([3], np.int64), "axes"))
    image = helper.make_tensor_value_info(
        "input", TensorProto.FLOAT, [BATCH, OCCLUDER_SIZE, OCCLUDER_SIZE, 3]
    )
    mask = helper.make_tensor_value_info(
        "output", TensorProto.FLOAT, [BATCH, OCCLUDER_SIZE, OCCLUDER_SIZE, 1]
    )
    return save_standin(path, nodes, [image], [mask], inits)


def write_bisenet_standin(path: Path) -> Path:
    """BiSeNet stand-in (see the module docstring): light warm pixels are skin, the rest background."""
    weights = np.zeros((FACE_PARSER_CLASSES, 3, 1, 1), np.float32)
    bias = np.zeros(FACE_PARSER_CLASSES, np.float32)
    weights[1, 0, 0, 0], weights[1, 2, 0, 0], bias[1] = 4.0, -1.0, -4.5  # 3 (r - 1.5) + (r - b)
    weights *= SHARPNESS
    bias *= SHARPNESS
    inits = [numpy_helper.from_array(weights, "classes_w"), numpy_helper.from_array(bias, "classes_b")]
    nodes = [helper.make_node("Conv", ["input", "classes_w", "classes_b"], ["output"], kernel_shape=[1, 1])]
    side = FACE_PARSER_SIZE
    image = helper.make_tensor_value_info("input", TensorProto.FLOAT, [BATCH, 3, side, side])
    logits = helper.make_tensor_value_info(
        "output", TensorProto.FLOAT, [BATCH, FACE_PARSER_CLASSES, side, side]
    )
    return save_standin(path, nodes, [image], [logits], inits)
