"""Small HTML pieces of the run report: every text escaped, images as data URIs, inline CSS.

Nothing here refers to anything outside the page, so the file opens without a server or a
network.
"""
from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { border-bottom: 1px solid #ccc;
     margin-top: 1.8em; } h3 { margin-bottom: .3em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fde8e8; } tr.good td { background: #e8f6ea; }
tr.total td { font-weight: bold; background: #f7f7f7; }
p.missing { color: #775; font-style: italic; } p.note { color: #555; }
nav a { margin-right: 1em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0 0 1em; border: 1px solid #ddd; padding: .4em; max-width: 100%;
         display: inline-block; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .85em; color: #555; margin-top: .3em; }
"""


def esc(value: Any) -> str:
    """``value`` as text, HTML-escaped (quotes too)."""
    return html.escape(str(value), quote=True)


def fmt(value: Any) -> str:
    """A cell's text: floats with 4 decimals, booleans yes/no, None as a dash."""
    if value is None:
        return '-'
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f'{value:.4f}' if abs(value) < 1e5 else f'{value:.4g}'
    if isinstance(value, dict):
        return ', '.join(f'{k}={fmt(v)}' for k, v in value.items()) or '-'
    if isinstance(value, (list, tuple)):
        return '[' + ', '.join(fmt(v) for v in value) + ']'
    return str(value)


def _cell(value: Any, tag: str = 'td') -> str:
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    cls = ' class="num"' if numeric and tag == 'td' else ''
    return f'<{tag}{cls}>{esc(fmt(value))}</{tag}>'


def table(headers: Sequence[Any] | None, rows: Iterable[Sequence[Any]], *,
          row_classes: Sequence[str] | None = None, name: str = '') -> str:
    """A table (no header row when ``headers`` is None); ``row_classes`` gives each row a CSS
    class ('bad', 'good', 'total' or '')."""
    rows = list(rows)
    classes = list(row_classes or [''] * len(rows))
    head = '' if headers is None else \
        '<thead><tr>' + ''.join(_cell(h, 'th') for h in headers) + '</tr></thead>'
    body = []
    for row, cls in zip(rows, classes):
        attr = f' class="{esc(cls)}"' if cls else ''
        body.append(f'<tr{attr}>' + ''.join(_cell(v) for v in row) + '</tr>')
    data = f' data-table="{esc(name)}"' if name else ''
    return (f'<table{data}>{head}<tbody>' + ''.join(body)
            + '</tbody></table>')


def image(png: bytes, caption: str) -> str:
    """A figure with the PNG embedded as a base64 data URI and its caption."""
    data = base64.b64encode(png).decode('ascii')
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(caption)}">'
            f'<figcaption>{esc(caption)}</figcaption></figure>')


def para(text: str, cls: str = 'note') -> str:
    return f'<p class="{esc(cls)}">{esc(text)}</p>'


def missing(text: str) -> str:
    """The line a section shows when its input was not produced."""
    return para(text, 'missing')


def heading(text: str, level: int = 3) -> str:
    return f'<h{level}>{esc(text)}</h{level}>'


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


def page(title: str, facts: Sequence[tuple[str, Any]], sections: Sequence[tuple[str, str, str]]
         ) -> str:
    """The whole document: title, a facts table, a contents line, then the sections.

    Args:
        facts: (label, value) rows under the title (solution, date, data root, work dir).
        sections: (anchor, title, body HTML) in order.
    """
    nav = ''.join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in sections)
    body = ''.join(section(a, t, b) for a, t, b in sections)
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>{esc(title)}</title><style>{CSS}</style></head><body>'
            f'<h1>{esc(title)}</h1>{table(None, facts, name="facts")}'
            f'<nav>{nav}</nav>{body}</body></html>\n')
