"""The pretrained weights the solution manifests need: where each goes, comes from, and is."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..utils.errors import InputError
from .sources import Weight, file_status, find_url, manifest_weights

UNKNOWN_SOURCE = 'unknown: put the file there by hand'


@dataclass(frozen=True)
class Entry:
    """One run's weights: the manifest's words, the file here, its source and its status."""

    weight: Weight
    path: Path
    url: str | None
    status: str  # present / missing / hash mismatch


def manifest_paths(root: str | Path, solutions: list[str] | None = None) -> list[Path]:
    """``configs/solutions/<name>.py`` for each name (all manifests when none is given)."""
    folder = Path(root) / 'configs' / 'solutions'
    known = sorted(folder.glob('*.py'))
    if not solutions:
        return known
    unknown = [s for s in solutions if not (folder / f'{s}.py').is_file()]
    if unknown:
        raise InputError(f'no solution manifest {", ".join(unknown)} in {folder} (known: '
                         f'{", ".join(p.stem for p in known)})')
    return [folder / f'{s}.py' for s in solutions]


def entries(root: str | Path, solutions: list[str] | None = None) -> list[Entry]:
    """Every run with pretrained weights in those manifests, with source URL and status."""
    root = Path(root)
    found = []
    for manifest in manifest_paths(root, solutions):
        for weight in manifest_weights(manifest):
            path = (root / weight.file).resolve()
            found.append(Entry(weight, path, find_url(path.name, weight), file_status(path)))
    return found


def is_solution(root: str | Path, name: str) -> bool:
    return (Path(root) / 'configs' / 'solutions' / f'{name}.py').is_file()
