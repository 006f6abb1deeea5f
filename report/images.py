"""Reading a user's digit image (PNG or PGM) into the pixel layout and units a run was trained on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from report.errors import ReportError

FORMATS = ("PNG", "PPM")  # Pillow reads PGM (and PPM/PBM) as "PPM"
MAX_PIXELS = 50_000_000  # refuse decompression bombs before decoding
LIGHT = 128  # a grayscale value (0..255) from which a pixel counts as light


@dataclass(frozen=True)
class DigitImage:
    """One image file as the network sees it, and what was done to it on the way."""

    pixels: np.ndarray  # (rows * cols,) float64 raw pixels in 0..pixel_max, white digit on black
    size: tuple[int, int]  # (width, height) of the file
    input_size: tuple[int, int]  # (width, height) the network takes
    background: str  # "light" or "dark": what most of the image's outermost pixels are
    inverted: bool  # True: read as a dark digit on a light background and flipped

    @property
    def resized(self) -> bool:
        return self.size != self.input_size


def read_digit(
    path: Path, image_shape: tuple[int, int], pixel_max: float, *, invert: bool | None = None
) -> DigitImage:
    """The image at `path` in MNIST's convention (white digit on black), resized to `image_shape`
    (rows, cols).

    The image is converted to grayscale (transparent areas shown on white, as a viewer shows them).
    `invert` None decides from the border: when most of the outermost pixels are light, the image is a dark
    digit on a light background (a scan, a drawing app) and is flipped; True always flips, False never does.
    ReportError (one line naming the file) for anything unreadable.
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
            background = _background(np.asarray(gray))
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        reason = " ".join(str(exc).split()) or exc.__class__.__name__
        raise ReportError(f"{path}: cannot read it as a PNG or PGM image ({reason})") from None
    inverted = background == "light" if invert is None else invert
    if inverted:
        pixels = 1.0 - pixels
    return DigitImage(
        pixels=pixels.reshape(-1) * pixel_max,
        size=(gray.width, gray.height),
        input_size=(cols, rows),
        background=background,
        inverted=inverted,
    )


def _background(gray: np.ndarray) -> str:
    """'light' when more than half of the outermost ring of a (height, width) uint8 image is light."""
    ring = np.concatenate([gray[0, :], gray[-1, :], gray[1:-1, 0], gray[1:-1, -1]])
    return "light" if np.count_nonzero(ring >= LIGHT) * 2 > ring.size else "dark"


def _on_white(image: Image.Image) -> Image.Image:
    """An image with transparency flattened onto a white background; others unchanged."""
    if "A" not in image.getbands() and "transparency" not in image.info:
        return image
    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
