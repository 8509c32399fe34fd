"""Writing matplotlib figures: rendered in memory first, so a failed draw leaves no file."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from tools.ensemble import atomic_write


def save_png(fig: Any, out: str | Path, dpi: int = 100) -> Path:
    """Render ``fig`` to PNG, close it, and replace ``out`` in one step; returns ``out``."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format='png', dpi=dpi)
    finally:
        plt.close(fig)  # figures left open pile up over a long run of plots
    out = Path(out)
    with atomic_write(out, 'wb') as f:
        f.write(buffer.getvalue())
    return out
