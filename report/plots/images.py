"""Image-like figures: confusion matrix, digit grids, and the dataset maps of the seed's part 1."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from report.plots.style import NAN_COLOR, figure, plain, png


def confusion_png(confusion: np.ndarray) -> bytes:
    """(k, k) counts, rows true and columns predicted, each cell annotated with its count."""
    k = confusion.shape[0]
    with figure(4.2, 3.6, left=0.1, right=0.98, bottom=0.12, top=0.97) as fig:
        ax = fig.subplots()
        image = ax.imshow(confusion, cmap="Blues")
        fig.colorbar(image, ax=ax, shrink=0.85, label="test images")
        ax.set_xticks(range(k))
        ax.set_yticks(range(k))
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.grid(False)
        threshold = confusion.max() / 2 if confusion.size else 0
        for (row, col), count in np.ndenumerate(confusion):
            if count:
                color = "white" if count > threshold else "#222222"
                ax.text(col, row, str(count), ha="center", va="center", fontsize=6.5, color=color)
        return png(fig)


def digit_grid_png(images: Sequence[np.ndarray], titles: Sequence[str], *, columns: int = 8) -> bytes:
    """Small grayscale digits (dark ink on white) with a caption above each, `columns` per row.

    The digits are tiled into one mosaic drawn on a single axes: one image instead of one axes per digit,
    which would cost a tick layout each.
    """
    columns = max(1, min(columns, len(images)))
    rows = max(1, math.ceil(len(images) / columns))
    height, width = images[0].shape if images else (8, 8)
    band = height * 0.45  # caption space above each digit, in pixels of the mosaic
    cell_w, cell_h = width + 2, height + band + 1
    mosaic = np.full((round(rows * cell_h), columns * cell_w), np.nan)
    with figure(0.95 * columns, 1.0 * rows, left=0, right=1, bottom=0, top=1) as fig:
        ax = fig.add_axes((0, 0, 1, 1))
        ax.axis("off")
        for i, (image, title) in enumerate(zip(images, titles, strict=True)):
            row, col = divmod(i, columns)
            top = round(row * cell_h + band)
            mosaic[top : top + height, col * cell_w + 1 : col * cell_w + 1 + width] = image
            ax.text(
                col * cell_w + cell_w / 2 - 0.5,
                row * cell_h + band * 0.55,
                plain(title),
                ha="center",
                va="center",
                fontsize=7,
            )
        finite = mosaic[np.isfinite(mosaic)]
        high = float(finite.max()) if finite.size else 1.0
        cmap = colormaps["gray_r"].with_extremes(bad="white")
        ax.imshow(np.ma.masked_invalid(mosaic), cmap=cmap, vmin=0, vmax=high or 1.0, interpolation="nearest")
        return png(fig)


def class_balance_png(counts: np.ndarray) -> bytes:
    """Samples per class as bars, each labelled with its share."""
    with figure(4.2, 2.2, left=0.14, bottom=0.2, top=0.93) as fig:
        ax = fig.subplots()
        total = max(int(counts.sum()), 1)
        bars = ax.bar(np.arange(counts.size), counts, color="#4c72b0")
        ax.bar_label(bars, labels=[f"{c / total:.1%}" for c in counts], fontsize=6.5)
        ax.set_xticks(np.arange(counts.size))
        ax.set_xlabel("class")
        ax.set_ylabel("samples")
        ax.margins(y=0.15)
        return png(fig)


def constant_map_png(constant: np.ndarray) -> bytes:
    """(rows, cols) bool: constant pixels in dark grey, varying ones in light blue, with a legend."""
    with figure(3.0, 2.9, left=0.16, right=0.95, bottom=0.3, top=0.9) as fig:
        ax = fig.subplots()
        colors = ListedColormap(["#cfe3f5", "#444444"])
        ax.imshow(constant.astype(int), cmap=colors, vmin=0, vmax=1, interpolation="nearest")
        _pixel_axes(ax, constant.shape)
        share = float(constant.mean()) if constant.size else 0.0
        ax.set_title(f"{int(constant.sum())} constant pixels ({share:.1%})")
        handles = [Patch(color="#444444", label="constant"), Patch(color="#cfe3f5", label="varies")]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
        return png(fig)


def correlation_png(r: np.ndarray) -> bytes:
    """(rows, cols) Pearson r of each pixel with the label; NaN (constant pixels) in a colour of its own."""
    with figure(3.8, 3.1, left=0.12, right=0.86, bottom=0.3, top=0.9) as fig:
        ax = fig.subplots()
        finite = r[np.isfinite(r)]
        limit = float(np.abs(finite).max()) if finite.size else 1.0
        cmap = colormaps["RdBu_r"].with_extremes(bad=NAN_COLOR)  # blue-white-red: the yellow NaN stands out
        image = ax.imshow(
            np.ma.masked_invalid(r), cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest"
        )
        fig.colorbar(image, ax=ax, shrink=0.8, label="Pearson r with the label")
        _pixel_axes(ax, r.shape)
        nan_count = int(np.isnan(r).sum())
        ax.set_title(f"pixel ↔ label correlation ({nan_count} NaN)")
        handle = Patch(color=NAN_COLOR, label="NaN: constant pixel, r undefined")
        ax.legend(handles=[handle], loc="upper center", bbox_to_anchor=(0.5, -0.2))
        return png(fig)


def mean_digits_png(means: np.ndarray) -> bytes:
    """(k, rows, cols) mean image per class, one panel each (blank for a class without samples)."""
    titles = [f"mean {label}" for label in range(means.shape[0])]
    images = [np.nan_to_num(image) for image in means]
    return digit_grid_png(images, titles, columns=min(10, len(images)))


def _pixel_axes(ax, shape: tuple[int, ...]) -> None:
    """Tick labels 1-based, as in the seed's RxC pixel names."""
    rows, cols = shape
    step = max(1, rows // 4)
    ax.set_xticks(range(0, cols, step), [str(c + 1) for c in range(0, cols, step)])
    ax.set_yticks(range(0, rows, step), [str(r + 1) for r in range(0, rows, step)])
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.grid(False)
