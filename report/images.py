"""Reading a user's digit image (PNG or PGM) into the pixel layout and units a run was trained on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from report.errors import ReportError

FORMATS = ("PNG", "PPM")  # Pillow reads PGM (and PPM/PBM) as "PPM"
MAX_PIXELS = 50_000_000  # refuse decompression bombs before decoding


def read_digit(
    path: Path, image_shape: tuple[int, int], pixel_max: float, *, invert: bool = False
) -> np.ndarray:
    """(rows * cols,) float64 raw pixels in 0..`pixel_max`, following MNIST's convention (white digit on black).

    The image is converted to grayscale (transparent areas shown on white, as a viewer shows them) and
    resized to `image_shape` (rows, cols); `invert` flips a dark digit on a light background first. ReportError (one line naming the file) for anything unreadable.
    """
    rows, cols = image_shape
    try:
        with Image.open(path, formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ReportError(
                    f"{path}: {image.width}x{image.height} pixels is too large for a digit image"
                )
            gray = _on_white(image).convert("L")
            shrinking = gray.width >= cols and gray.height >= rows
            resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
            pixels = np.asarray(gray.resize((cols, rows), resample), dtype=np.float64) / 255.0
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        reason = " ".join(str(exc).split()) or exc.__class__.__name__
        raise ReportError(f"{path}: cannot read it as a PNG or PGM image ({reason})") from None
    if invert:
        pixels = 1.0 - pixels
    return pixels.reshape(-1) * pixel_max


def _on_white(image: Image.Image) -> Image.Image:
    """An image with transparency flattened onto a white background; others unchanged."""
    if "A" not in image.getbands() and "transparency" not in image.info:
        return image
    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
