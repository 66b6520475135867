"""Reading and writing a data block's plain settings by property path
(core/content_settings.py), with values as the doc holds them: floats,
ints, bools, strings, tuples of floats."""
from mathutils import Color, Euler, Quaternion, Vector

from ..core.content_settings import FIRST

_ARRAYS = (Vector, Color, Euler, Quaternion)


def plain(v):
    if isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, _ARRAYS) or hasattr(v, '__len__'):
        return tuple(float(x) for x in v)
    return None


def _resolve(idb, path):
    """(owner, attribute) for a dotted path, or None where the owner lacks it."""
    parts = path.split('.')
    owner = idb
    for p in parts[:-1]:
        owner = getattr(owner, p, None)
        if owner is None:
            return None
    return (owner, parts[-1]) if hasattr(owner, parts[-1]) else None


def read(idb, spec, special=None) -> dict:
    out = {}
    for key, path in spec:
        if path.startswith('@'):
            v = special(idb, path[1:]) if special else None
        else:
            r = _resolve(idb, path)
            v = plain(getattr(*r)) if r else None
        if v is not None:
            out[key] = v
    return out


def write(idb, values: dict, spec, special=None) -> None:
    """Sets what the data block has; a value Blender refuses (an enum another
    version does not know) is skipped, not fatal."""
    paths = dict(spec)
    order = [k for k in FIRST if k in values] + [k for k in values if k not in FIRST]
    for key in order:
        path = paths.get(key)
        if path is None:
            continue
        v = values[key]
        try:
            if path.startswith('@'):
                if special:
                    special(idb, path[1:], v)
                continue
            r = _resolve(idb, path)
            if r is None:
                continue
            owner, attr = r
            if plain(getattr(owner, attr)) != v:
                setattr(owner, attr, v)
                if key in FIRST:
                    # A light's type change swaps its RNA type: a fresh wrapper sees the new settings.
                    idb = idb.id_data
        except (TypeError, ValueError, AttributeError):
            continue


def rename(idb, name, store) -> None:
    """Gives ``idb`` the name unless another data block of ``store`` has it: in
    Blender 3.4 a rename takes the name away from its holder (which becomes .001),
    and that would rename something of someone else's here."""
    if idb.name == name:
        return
    other = store.get(name)
    if other is not None and other != idb:
        return
    idb.name = name
