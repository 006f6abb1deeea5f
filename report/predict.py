"""`mnistq predict`: classify image files with a run's stored weights, or re-score it on its test split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from model.data.prepare import prepare
from model.data.specs import load_raw
from model.inference import evaluate
from report.errors import ReportError
from report.images import read_digit
from report.stored import StoredModel, load_stored_model


@dataclass(frozen=True)
class ImagePrediction:
    """One image's class, and what was done to the file to fit the run's input (the `--json` fields)."""

    image: str  # the path as given
    digit: int
    probability: float  # of `digit`
    probabilities: tuple[float, ...]  # one per class
    size: tuple[int, int]  # (width, height) of the file
    input_size: tuple[int, int]  # (width, height) of the run's images: the file is resized to it
    resized: bool
    background: str  # "light" or "dark", from the image's outermost pixels
    inverted: bool  # read as a dark digit on a light background and flipped to MNIST's white on black


@dataclass(frozen=True)
class TestScore:
    """A run's stored weights evaluated on its rebuilt test split, next to the accuracy stored at training."""

    run_id: int
    dataset: str
    n_test: int
    test_acc: float
    test_loss: float
    stored_test_acc: float | None


def predict_images(
    session: Session, run_id: int, paths: Sequence[Path], *, invert: bool | None = None
) -> list[ImagePrediction]:
    """Classify each image with run `run_id`'s final weights. Every image is read before any is classified,
    so one bad file fails the command before it prints anything. `invert` None detects each image's
    polarity from its border (see `read_digit`); True or False applies to every image."""
    model = load_stored_model(session, run_id)
    image_shape, pixel_max = _pixel_layout(model)
    images = [read_digit(path, image_shape, pixel_max, invert=invert) for path in paths]
    proba = model.probabilities(model.normalize(np.stack([image.pixels for image in images])))
    return [
        ImagePrediction(
            image=str(path),
            digit=int(row.argmax()),
            probability=float(row.max()),
            probabilities=tuple(float(p) for p in row),
            size=image.size,
            input_size=image.input_size,
            resized=image.resized,
            background=image.background,
            inverted=image.inverted,
        )
        for path, image, row in zip(paths, images, proba, strict=True)
    ]


def adjustments(prediction: ImagePrediction, *, detected: bool) -> str:
    """One line saying what was done to the image before classifying it, or '' when nothing was.
    `detected`: the inversion was decided from the image (no --invert/--no-invert), so it is news."""
    said = []
    if prediction.resized:
        (width, height), (to_width, to_height) = prediction.size, prediction.input_size
        said.append(f"resized from {width}x{height} to the run's {to_width}x{to_height} pixels")
    if prediction.inverted and detected:
        said.append("light background, so read as a dark digit and inverted (--no-invert keeps it as is)")
    return f"{prediction.image}: {'; '.join(said)}" if said else ""


def score_test_split(session: Session, run_id: int) -> TestScore:
    """Evaluate run `run_id`'s final weights on the test split rebuilt from its stored config."""
    model = load_stored_model(session, run_id)
    data = prepare(model.config)
    evaluation = evaluate(model.weights, model.config.activation, data.test.x, data.test.y)
    return TestScore(
        run_id=run_id,
        dataset=data.spec,
        n_test=len(data.test),
        test_acc=evaluation.acc,
        test_loss=evaluation.loss,
        stored_test_acc=model.run.test_acc,
    )


def _pixel_layout(model: StoredModel) -> tuple[tuple[int, int], float]:
    """The run's image shape and the largest raw pixel value of its dataset (255 for MNIST, 16 for digits),
    so that a 0..255 image file maps onto the units the network was trained on."""
    raw = load_raw(model.config.dataset, model.config.label_column)
    rows, cols = raw.image_shape
    if rows * cols != model.n_features:
        raise ReportError(
            f"run {model.run.id}: its weights take {model.n_features} inputs but {raw.name} images have "
            f"{rows}x{cols} pixels; the dataset changed since training"
        )
    return raw.image_shape, float(raw.x.max())
