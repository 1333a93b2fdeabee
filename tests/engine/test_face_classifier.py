"""fairface as the engine feeds and reads it, checked against a reference built here from the convention
alone (arcface_112_v2 at 224 px, RGB, ImageNet mean and std; race, gender and age ids in that order)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest
from numpy.typing import NDArray

from faceswap.config import EngineSettings
from faceswap.engine.classify import ClassifyingAnalyser
from faceswap.engine.onnx.classifier import FAIRFACE_TEMPLATE, FairFaceClassifier, categorize
from faceswap.engine.onnx.session import open_session
from faceswap.engine.onnx.signature import FAIRFACE_SIZE
from faceswap.engine.types import Face, FaceTraits, ImageBGR
from faceswap.errors import ModelSignatureError
from faceswap.models.catalog import spec
from faceswap.testing.classifier_standins import write_fairface_standin
from faceswap.testing.photos import ASTRONAUT, GRACE_HOPPER
from faceswap.testing.standins import write_arcface_standin

FACES = Path(__file__).resolve().parents[3] / "shared" / "faces"
# the convention, written out here (not imported): unit-square templates and ImageNet's statistics
ARCFACE_112_V2 = np.array(
    [[0.34191607, 0.46157411], [0.65653393, 0.45983393], [0.50022500, 0.64050536],
     [0.37097589, 0.82469196], [0.63151696, 0.82325089]]
)  # fmt: skip
ARCFACE_128 = np.array(
    [[0.36167656, 0.40387734], [0.63696719, 0.40235469], [0.50019687, 0.56044219],
     [0.38710391, 0.72160547], [0.61507734, 0.72034453]]
)  # fmt: skip
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])
# FairFace's label order (the authors' predict script): 7 races, 2 genders, 9 age groups
RACE_NAMES = ("white", "black", "latino", "asian", "asian", "indian", "arabic")
AGE_GROUPS = ((0, 2), (3, 9), (10, 19), (20, 29), (30, 39), (40, 49), (50, 59), (60, 69), (70, 100))


def similarity(points: NDArray[np.float64], target: NDArray[np.float64]) -> NDArray[np.float64]:
    """The least-squares similarity taking ``points`` onto ``target`` (Umeyama), as a 2x3 matrix."""
    mean_p, mean_t = points.mean(axis=0), target.mean(axis=0)
    p, t = points - mean_p, target - mean_t
    u, s, vt = np.linalg.svd(t.T @ p / len(p))
    d = np.diag([1.0, -1.0 if np.linalg.det(u) * np.linalg.det(vt) < 0 else 1.0])
    rotation = u @ d @ vt
    scale = np.trace(np.diag(s) @ d) / (p**2).sum(axis=1).mean()
    return np.hstack([scale * rotation, (mean_t - scale * rotation @ mean_p)[:, None]])


def reference_input(
    image: ImageBGR,
    kps: NDArray[np.float32],
    template: NDArray[np.float64] = ARCFACE_112_V2,
    warp_size: int = FAIRFACE_SIZE,
    rgb: bool = True,
    imagenet: bool = True,
) -> NDArray[np.float32]:
    """1x3x224x224 as the convention says (the keyword arguments break it, to show the stand-in notices)."""
    matrix = similarity(kps.astype(np.float64), template * warp_size)
    crop = cv2.warpAffine(
        image, matrix, (warp_size, warp_size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    if warp_size != FAIRFACE_SIZE:
        crop = cv2.resize(crop, (FAIRFACE_SIZE, FAIRFACE_SIZE), interpolation=cv2.INTER_LINEAR)
    pixels = crop[:, :, ::-1] if rgb else crop
    values = pixels / 255.0
    if imagenet:
        values = (values - MEAN) / STD
    return values.transpose(2, 0, 1)[None].astype(np.float32)


def reference_traits(session: ort.InferenceSession, batch: NDArray[np.float32]) -> FaceTraits:
    race, gender, age = (int(np.asarray(out).reshape(-1)[0]) for out in session.run(None, {"input": batch}))
    return FaceTraits(gender="female" if gender == 1 else "male", age=AGE_GROUPS[age], race=RACE_NAMES[race])  # type: ignore[arg-type]


def sample_faces() -> list[tuple[ImageBGR, Face]]:
    """24 faces: each photo's face turned, scaled and moved by random amounts (seeded)."""
    rng = np.random.default_rng(1)
    samples = []
    for photo in (ASTRONAUT, GRACE_HOPPER):
        image = cv2.imread(str(FACES / photo.file))
        base = np.array(photo.kps, np.float64)
        centre = base.mean(axis=0)
        for _ in range(12):
            angle, scale = rng.uniform(-0.3, 0.3), rng.uniform(0.8, 1.2)
            turn = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            kps = ((base - centre) @ turn.T + centre + rng.uniform(-15, 15, 2)).astype(np.float32)
            box = np.array([*kps.min(axis=0) - 20, *kps.max(axis=0) + 20], np.float32)
            samples.append((image, Face(box=box, kps=kps, score=0.9)))
    return samples


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fairface_standin(tmp_path_factory.mktemp("fairface") / "fairface.onnx")


@pytest.fixture(scope="module")
def classifier(standin: Path) -> FairFaceClassifier:
    return FairFaceClassifier(open_session("fairface", standin, EngineSettings(providers=["cpu"])))


def test_the_classifier_reads_what_the_convention_says(standin: Path, classifier: FairFaceClassifier) -> None:
    session = ort.InferenceSession(str(standin), providers=["CPUExecutionProvider"])
    samples = sample_faces()
    expected = [reference_traits(session, reference_input(image, face.kps)) for image, face in samples]
    got = [classifier.classify(image, [face])[0] for image, face in samples]
    assert got == expected
    by_photo = classifier.classify(samples[0][0], [face for _, face in samples[:12]])  # several at once
    assert by_photo == expected[:12]
    assert len({(t.gender, t.age, t.race) for t in expected}) > 3  # the stand-in's answers vary


@pytest.mark.parametrize(
    "broken",
    [
        {"rgb": False},  # BGR fed
        {"imagenet": False},  # x / 255 without the mean and std
        {"template": ARCFACE_128},  # another template
        {"warp_size": 112},  # warped at 112 and scaled up
    ],
)
def test_the_standin_notices_a_broken_convention(standin: Path, broken: dict[str, object]) -> None:
    """What makes the test above able to fail: each broken convention changes some faces' answers."""
    session = ort.InferenceSession(str(standin), providers=["CPUExecutionProvider"])
    samples = sample_faces()
    right = [reference_traits(session, reference_input(image, face.kps)) for image, face in samples]
    wrong = [reference_traits(session, reference_input(image, face.kps, **broken)) for image, face in samples]  # type: ignore[arg-type]
    assert sum(a != b for a, b in zip(right, wrong, strict=True)) >= 1


def test_class_ids_follow_fairfaces_labels() -> None:
    assert categorize(0, 1, 3) == FaceTraits(gender="female", age=(20, 29), race="white")
    assert categorize(3, 0, 0).race == categorize(4, 0, 0).race == "asian"
    assert [categorize(r, 0, 0).race for r in range(7)] == list(RACE_NAMES)
    assert [categorize(0, 0, a).age for a in range(9)] == list(AGE_GROUPS)
    for ids in ((7, 0, 0), (0, 2, 0), (0, 0, 9), (-1, 0, 0)):
        with pytest.raises(ModelSignatureError):
            categorize(*ids)


def test_the_catalog_entry_matches_the_classifier() -> None:
    entry = spec("fairface")
    assert entry.role == "classifier"
    assert entry.template == FAIRFACE_TEMPLATE
    assert entry.input_size == (FAIRFACE_SIZE, FAIRFACE_SIZE)
    assert entry.normalisation == "imagenet"
    assert entry.licence.startswith("CC-BY-4.0")
    assert entry.commercial_use
    assert entry.hash_file == "fairface.hash"
    assert all("models-3.0.0" in url and url.endswith("/fairface.onnx") for url in entry.urls)


def test_a_file_with_other_inputs_or_outputs_is_refused(tmp_path: Path) -> None:
    settings = EngineSettings(providers=["cpu"])
    arcface = write_arcface_standin(tmp_path / "arcface.onnx")  # 1x3x112x112 in, one output
    with pytest.raises(ModelSignatureError):
        open_session("fairface", arcface, settings)
    standin = write_fairface_standin(tmp_path / "fairface.onnx")
    with pytest.raises(ModelSignatureError):
        open_session("arcface_w600k_r50", standin, settings)  # and fairface is no recogniser


def test_an_analyser_wrapped_with_the_classifier_gives_classified_faces(
    classifier: FairFaceClassifier,
) -> None:
    image, face = sample_faces()[0]

    class Found:
        default_reference_threshold = 0.5

        def analyse(self, picture: ImageBGR) -> list[Face]:
            return [face]

    analyser = ClassifyingAnalyser(Found(), classifier)
    assert analyser.default_reference_threshold == 0.5
    [classified] = analyser.analyse(image)
    assert classified.traits == classifier.classify(image, [face])[0]
    assert [f.traits for f in analyser.analyse_batch([image, image])[1]] == [classified.traits]
