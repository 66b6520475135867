"""Peer colors as the agent sends them (CSS: ``#e05a47``, ``#e54``,
``hsl(210, 70%, 55%)``, ``rgb(...)``) turned into the 0..1 RGB floats that
Blender's UI and gpu drawing take. Anything unreadable becomes grey."""
from __future__ import annotations

import colorsys
import re

GREY = (0.55, 0.55, 0.55)
_NUM = r'\s*(-?[\d.]+)(%?)\s*'


def _hex(s: str):
    h = s[1:]
    if len(h) in (3, 4):
        h = ''.join(c * 2 for c in h[:3])
    if len(h) not in (6, 8) or not re.fullmatch(r'[0-9a-fA-F]+', h):
        return None
    return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))


def parse(css) -> tuple:
    if not isinstance(css, str):
        return GREY
    s = css.strip().lower()
    if s.startswith('#'):
        return _hex(s) or GREY
    m = re.fullmatch(r'(hsla?|rgba?)\(' + _NUM + ',' + _NUM + ',' + _NUM + r'(?:,[^)]*)?\)', s)
    if not m:
        return GREY
    kind = m.group(1)
    a, b, c = (float(m.group(i)) for i in (2, 4, 6))
    if kind.startswith('hsl'):
        r, g, bl = colorsys.hls_to_rgb((a % 360) / 360.0, min(c, 100) / 100.0, min(b, 100) / 100.0)
        return (r, g, bl)
    vals = []
    for v, pct in ((a, m.group(3)), (b, m.group(5)), (c, m.group(7))):
        vals.append(min(max(v / 100.0 if pct else v / 255.0, 0.0), 1.0))
    return tuple(vals)
