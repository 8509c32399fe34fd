"""Writing matplotlib figures: rendered in memory first, so a failed draw leaves no file."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from custom_modules.utils.atomic import atomic_write_bytes


def png_bytes(fig: Any, dpi: int = 100) -> bytes:
    """Render ``fig`` to PNG bytes in memory and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format='png', dpi=dpi)
    finally:
        plt.close(fig)  # figures left open pile up over a long run of plots
    return buffer.getvalue()


def save_png(fig: Any, out: str | Path, dpi: int = 100) -> Path:
    """Render ``fig`` to PNG, close it, and replace ``out`` in one step; returns ``out``."""
    return atomic_write_bytes(out, png_bytes(fig, dpi))


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    return plt
