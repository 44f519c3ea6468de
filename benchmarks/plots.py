"""What the benchmarks' plots share: pyplot drawing to files, axes of fantasy teams against a measure
on log scales (sizes and latencies span orders of magnitude), and the PNG saved beside the results."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

RESULTS = Path(__file__).resolve().parent / "results"


def pyplot() -> ModuleType:
    """matplotlib.pyplot on the Agg backend (files, no display), imported only when a plot is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def against_teams(ax: Axes, title: str, unit: str, **title_style: Any) -> None:
    """Fantasy teams across, `unit` up, both on log scales, with a grid and the legend."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("fantasy teams")
    ax.set_ylabel(unit)
    ax.set_title(title, **title_style)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)


def save(fig: Figure, name: str, dpi: int) -> Path:
    """The figure as benchmarks/results/`name`."""
    out = RESULTS / name
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    return out
