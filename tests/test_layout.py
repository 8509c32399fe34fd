"""The layout's rules (DESIGN.md): one library, thin tools, small files."""
from __future__ import annotations

import ast
from pathlib import Path

RUNNER = ('tools/run_solution.py', 'tools/solutions/')


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding='utf-8'))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_script_imports_another_script(repo_root):
    """What two tools share lives in custom_modules; only the runner has modules of its own."""
    offenders = []
    scripts = [*(repo_root / 'tools').rglob('*.py'), *(repo_root / 'bench').rglob('*.py')]
    for path in sorted(scripts):
        rel = path.relative_to(repo_root).as_posix()
        for name in imported_modules(path):
            if name == 'tools' or name.startswith('tools.'):
                if not (rel.startswith(RUNNER) and name.startswith('tools.solutions')):
                    offenders.append(f'{rel} imports {name}')
    assert offenders == []


def test_the_library_does_not_import_the_tools(repo_root):
    offenders = [f'{p.relative_to(repo_root)} imports {name}'
                 for p in sorted((repo_root / 'custom_modules').rglob('*.py'))
                 for name in imported_modules(p) if name.split('.')[0] in ('tools', 'bench')]
    assert offenders == []


def test_no_source_file_over_400_lines(repo_root):
    long = [f'{p.relative_to(repo_root)}: {n} lines'
            for folder in ('custom_modules', 'tools', 'bench', 'configs')
            for p in sorted((repo_root / folder).rglob('*.py'))
            if (n := len(p.read_text(encoding='utf-8').splitlines())) > 400]
    assert long == []


def test_readme_fits_on_a_few_screens(repo_root):
    assert len((repo_root / 'README.md').read_text(encoding='utf-8').splitlines()) <= 250
