"""The one look of every report figure, independent of the user's matplotlibrc.

Figures are `matplotlib.figure.Figure` objects, never registered with pyplot: nothing to close, nothing shared
between reports, and no GUI backend is ever imported.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib.style
from matplotlib.figure import Figure

DPI = 80  # pixels per inch: a 7 x 2.6 in figure is 560 x 208 px
RC = {
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
MARGINS = {"left": 0.1, "right": 0.97, "bottom": 0.18, "top": 0.85, "wspace": 0.32, "hspace": 0.55}
TRAIN_STYLE = {"linestyle": "--", "linewidth": 1.2}
VAL_STYLE = {"linestyle": "-", "linewidth": 1.6}
ENGINE_COLORS = {"numpy": "#1f77b4", "sklearn": "#ff7f0e"}
SPLIT_COLORS = {"train": "#1f77b4", "val": "#d62728"}
NAN_COLOR = "#f0b400"  # undefined correlations: a colour the diverging colormap never uses


def plain(text: str) -> str:
    """`text` shown literally: a "$" (say, in a dataset path) would otherwise start mathtext."""
    return text.replace("$", r"\$")


@contextmanager
def figure(width: float, height: float, **margins: float) -> Iterator[Figure]:
    """A new figure of `width` x `height` inches in the report style.

    `margins` are `Figure.subplots_adjust` fractions (left, right, bottom, top, wspace, hspace) over
    MARGINS. Fixed margins instead of constrained layout: it would cost a second layout pass per figure,
    about half of the rendering time of a report.
    """
    with matplotlib.style.context(["default", RC]):
        fig = Figure(figsize=(width, height), dpi=DPI)
        fig.subplots_adjust(**{**MARGINS, **margins})
        yield fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, without the matplotlib version in the metadata (bytes depend on data only).

    Call it inside the `figure()` block, so drawing uses the report style too.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
