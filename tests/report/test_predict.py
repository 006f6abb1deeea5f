"""`mnistq predict RUN [IMAGE ...]`: digits from image files, or the run re-scored on its test split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from db import RunRecord, open_store, session_scope
from db.queries import list_runs
from model.data.prepare import prepare
from report.stored import StoredModel, load_stored_model

from .conftest import Page

UPSCALE = 8  # 8x8 digits saved as 64x64 images, as a user's file would be larger than the network's input


def runs_by_status(page: Page) -> dict[str, list[RunRecord]]:
    with session_scope(open_store(page.url, create=True)) as session:
        runs = list_runs(session, sweep_id=page.sweep_id)
    out: dict[str, list[RunRecord]] = {}
    for run in runs:
        out.setdefault(run.status, []).append(run)
    return out


@pytest.fixture(scope="module")
def model(page: Page) -> StoredModel:
    """The best completed numpy run, loaded from the store."""
    numpy_runs = [r for r in runs_by_status(page)["completed"] if r.engine == "numpy"]
    best = max(numpy_runs, key=lambda r: r.test_acc)
    with session_scope(open_store(page.url, create=True)) as session:
        return load_stored_model(session, best.id)


@pytest.fixture(scope="module")
def digit(model: StoredModel) -> tuple[np.ndarray, int, float]:
    """A test digit the model gets right with confidence: (8x8 raw pixels 0..16, label, probability)."""
    test = prepare(model.config).test
    proba = model.probabilities(test.x)
    index = next(i for i in range(len(test)) if proba[i].argmax() == test.y[i] and proba[i].max() > 0.8)
    return (
        model.denormalize(test.x[index : index + 1].astype(np.float64)).reshape(8, 8),
        int(test.y[index]),
        float(proba[index].max()),
    )


def save_digit(raw: np.ndarray, path: Path, *, invert: bool = False) -> Path:
    """Raw 0..16 pixels as an 8-bit grayscale image, upscaled; white on black unless `invert`."""
    pixels = np.clip(np.rint(raw * 255 / 16), 0, 255).astype(np.uint8)
    if invert:
        pixels = 255 - pixels
    image = Image.fromarray(pixels, mode="L").resize((8 * UPSCALE, 8 * UPSCALE), Image.Resampling.NEAREST)
    image.save(path)
    return path


def test_png_digit_is_classified(page: Page, model, digit, mnistq, tmp_path) -> None:
    raw, label, probability = digit
    png = save_digit(raw, tmp_path / "digit.png")
    done = mnistq("predict", str(model.run.id), str(png), url=page.url)
    assert done.code == 0, done.err
    assert done.out.startswith(f"{png}: {label} (probability ")
    answer = json.loads(mnistq("predict", str(model.run.id), str(png), "--json", url=page.url).out)
    (prediction,) = answer["predictions"]
    assert prediction["digit"] == label and len(prediction["probabilities"]) == 10
    assert prediction["probability"] == pytest.approx(probability, abs=0.05)  # 8-bit rounding of 0..16 values


def test_inverted_pgm_with_invert_reads_the_same(page: Page, model, digit, mnistq, tmp_path) -> None:
    raw, label, _ = digit
    png = save_digit(raw, tmp_path / "digit.png")
    pgm = save_digit(raw, tmp_path / "digit.pgm", invert=True)
    assert pgm.read_bytes().startswith(b"P5")
    plain = json.loads(mnistq("predict", str(model.run.id), str(png), "--json", url=page.url).out)
    inverted = json.loads(
        mnistq("predict", str(model.run.id), str(pgm), "--invert", "--json", url=page.url).out
    )
    assert inverted["predictions"][0]["probabilities"] == plain["predictions"][0]["probabilities"]
    assert inverted["predictions"][0]["digit"] == label


def test_test_split_accuracy_equals_the_stored_one(page: Page, mnistq) -> None:
    for run in runs_by_status(page)["completed"]:
        done = mnistq("predict", str(run.id), "--json", url=page.url)
        assert done.code == 0, done.err
        score = json.loads(done.out)
        assert score["test_acc"] == run.test_acc and score["stored_test_acc"] == run.test_acc
        assert (score["run_id"], score["dataset"]) == (run.id, "digits")
    text = mnistq("predict", str(run.id), url=page.url).out
    assert text == (
        f"run {run.id}: test accuracy {run.test_acc:.4f} on {score['n_test']} images of digits "
        f"(stored at training: {run.test_acc:.4f})\n"
    )


def test_an_unreadable_image_fails_before_any_output(page: Page, model, digit, mnistq, tmp_path) -> None:
    good = save_digit(digit[0], tmp_path / "good.png")
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    done = mnistq("predict", str(model.run.id), str(good), str(bad), url=page.url)
    assert (done.code, done.out) == (2, "")
    assert done.err.startswith(f"mnistq: error: {bad}: cannot read it as a PNG or PGM image")
    assert done.err.count("\n") == 1


def test_a_jpeg_is_refused(page: Page, model, mnistq, tmp_path) -> None:
    jpeg = tmp_path / "digit.jpg"
    Image.new("L", (28, 28)).save(jpeg)
    done = mnistq("predict", str(model.run.id), str(jpeg), url=page.url)
    assert done.code == 2 and "cannot read it as a PNG or PGM image" in done.err


def test_a_missing_image_is_named(page: Page, model, mnistq, tmp_path) -> None:
    missing = tmp_path / "missing.png"
    done = mnistq("predict", str(model.run.id), str(missing), url=page.url)
    assert (done.code, done.err) == (2, f"mnistq: error: {missing}: no such file\n")


@pytest.mark.parametrize("status", ["failed", "diverged", "cancelled"])
def test_a_run_without_final_weights_is_a_user_error(page: Page, mnistq, status) -> None:
    (run,) = runs_by_status(page)[status]
    done = mnistq("predict", str(run.id), url=page.url)
    assert (done.code, done.out) == (2, "")
    assert (
        done.err
        == f"mnistq: error: run {run.id} has no final weights (status {status}); see `mnistq show {run.id}`\n"
    )


def test_an_unknown_run_is_a_user_error(page: Page, mnistq) -> None:
    done = mnistq("predict", "999", url=page.url)
    assert (done.code, done.err) == (2, "mnistq: error: no run 999; see `mnistq runs`\n")


def test_a_transparent_drawing_is_read_as_shown_on_white(page: Page, model, digit, mnistq, tmp_path) -> None:
    """Drawing apps save black ink on a transparent background: with --invert it reads like the plain PNG."""
    raw, label, _ = digit
    ink = np.clip(np.rint(raw * 255 / 16), 0, 255).astype(np.uint8)
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)  # black, with the ink as opacity
    rgba[..., 3] = ink
    drawing = tmp_path / "drawing.png"
    Image.fromarray(rgba, mode="RGBA").resize((64, 64), Image.Resampling.NEAREST).save(drawing)
    plain = json.loads(
        mnistq(
            "predict", str(model.run.id), str(save_digit(raw, tmp_path / "d.png")), "--json", url=page.url
        ).out
    )
    drawn = json.loads(
        mnistq("predict", str(model.run.id), str(drawing), "--invert", "--json", url=page.url).out
    )
    assert drawn["predictions"][0]["digit"] == label
    assert drawn["predictions"][0]["probabilities"] == pytest.approx(
        plain["predictions"][0]["probabilities"], abs=1e-6
    )


def save_at(raw: np.ndarray, path: Path, size: int, *, invert: bool = False) -> Path:
    """Raw 0..16 pixels as a `size`x`size` 8-bit grayscale PNG; white on black unless `invert`."""
    pixels = np.clip(np.rint(raw * 255 / 16), 0, 255).astype(np.uint8)
    if invert:
        pixels = 255 - pixels
    Image.fromarray(pixels, mode="L").resize((size, size), Image.Resampling.NEAREST).save(path)
    return path


def test_a_dark_digit_on_white_is_detected_and_inverted(page: Page, model, digit, mnistq, tmp_path) -> None:
    raw, label, _ = digit
    plain = save_at(raw, tmp_path / "plain.png", 8)
    paper = save_at(raw, tmp_path / "paper.png", 8, invert=True)
    expected = json.loads(mnistq("predict", str(model.run.id), str(plain), "--json", url=page.url).out)
    done = mnistq("predict", str(model.run.id), str(paper), url=page.url)
    probability = expected["predictions"][0]["probability"]
    assert (done.code, done.out) == (0, f"{paper}: {label} (probability {probability:.3f})\n")
    assert done.err == (
        f"note: {paper}: light background, so read as a dark digit and inverted (--no-invert keeps it as is)\n"
    )
    answer = json.loads(mnistq("predict", str(model.run.id), str(paper), "--json", url=page.url).out)
    (prediction,) = answer["predictions"]
    assert prediction["probabilities"] == expected["predictions"][0]["probabilities"]
    assert (prediction["background"], prediction["inverted"]) == ("light", True)
    assert (prediction["size"], prediction["input_size"], prediction["resized"]) == ([8, 8], [8, 8], False)


def test_a_light_digit_on_black_is_read_as_is_without_a_note(
    page: Page, model, digit, mnistq, tmp_path
) -> None:
    plain = save_at(digit[0], tmp_path / "plain.png", 8)
    done = mnistq("predict", str(model.run.id), str(plain), "--json", url=page.url)
    assert (done.code, done.err) == (0, "")
    (prediction,) = json.loads(done.out)["predictions"]
    assert (prediction["background"], prediction["inverted"], prediction["resized"]) == ("dark", False, False)
    assert prediction["digit"] == digit[1]


def test_invert_flags_override_the_detection(page: Page, model, digit, mnistq, tmp_path) -> None:
    raw = digit[0]
    paper = save_at(raw, tmp_path / "paper.png", 8, invert=True)
    plain = save_at(raw, tmp_path / "plain.png", 8)
    kept = mnistq("predict", str(model.run.id), str(paper), "--no-invert", "--json", url=page.url)
    assert (kept.code, kept.err) == (0, "")  # asked for: no note
    (prediction,) = json.loads(kept.out)["predictions"]
    assert (prediction["background"], prediction["inverted"]) == ("light", False)
    forced = mnistq("predict", str(model.run.id), str(plain), "--invert", "--json", url=page.url)
    assert (forced.code, forced.err) == (0, "")
    (prediction,) = json.loads(forced.out)["predictions"]
    assert (prediction["background"], prediction["inverted"]) == ("dark", True)


def test_an_mnist_sized_image_given_to_an_8x8_run_is_resized_with_a_note(
    page: Page, model, digit, mnistq, tmp_path
) -> None:
    raw, label, _ = digit
    large = save_at(raw, tmp_path / "large.png", 28)
    done = mnistq("predict", str(model.run.id), str(large), url=page.url)
    assert done.code == 0 and done.out.startswith(f"{large}: {label} (probability ")
    assert done.err == f"note: {large}: resized from 28x28 to the run's 8x8 pixels\n"
    (prediction,) = json.loads(mnistq("predict", str(model.run.id), str(large), "--json", url=page.url).out)[
        "predictions"
    ]
    assert (prediction["size"], prediction["input_size"], prediction["resized"]) == ([28, 28], [8, 8], True)
    paper = save_at(raw, tmp_path / "paper.png", 28, invert=True)  # both facts on one line
    both = mnistq("predict", str(model.run.id), str(paper), url=page.url)
    assert both.err == (
        f"note: {paper}: resized from 28x28 to the run's 8x8 pixels; light background, so read as a dark digit "
        "and inverted (--no-invert keeps it as is)\n"
    )


def test_predict_help_documents_the_polarity_default(mnistq, page: Page) -> None:
    done = mnistq("predict", "--help", url=page.url)
    text = " ".join(done.out.split())
    assert "--invert / --no-invert" in text and "Default: decided per image from its border" in text
