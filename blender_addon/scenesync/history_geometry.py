"""Past geometry in a preview ([D4]): a live mesh object whose mesh was
different at the moment shown shows that version, read from the server
(``/data/:id/geometry?at=``) on the worker thread and written into a mesh of
its own. That mesh has no scenesync id and carries ``MARK`` (the hash of the
geometry it holds), so nothing ever syncs it; the same version is built once
per preview. Leaving (or moving to a moment where the geometry is today's)
gives each object its own mesh back, and the stand-in meshes are removed.

Meshes only: other kinds (armatures at rest, curves) show today's data.
"""
import bpy

from . import runtime
from .blender_world import PROP
from .content import mesh as M
from .core import history_preview as P
from .core.shadow import UNKNOWN

MARK = 'scenesync_past_geometry'


def _cached():
    return {me[MARK]: me for me in bpy.data.meshes if MARK in me}


def wanted(st, scene: dict) -> dict:
    """id -> (data id, version position, hash) of the meshes to show as they were."""
    live = {oid: e.get('data_id') for oid, e in st.extra.items()}
    data = runtime.session.content.data

    def now(did):
        b = data.get(did)
        h = b.geometry if b is not None else None
        return None if h is UNKNOWN else h
    return P.past_meshes(scene, live, now)


def apply(st, need: dict) -> dict:
    """Shows the meshes in ``need`` that are built already and gives every other
    object its own mesh back; returns what is still to fetch (same shape)."""
    from .history_scene import Index
    world = runtime.world
    world.begin()
    scene = world.scene()
    if scene is None:
        return {}
    idx = Index(scene)
    cw = runtime.session.content.world
    cache = _cached()
    for oid in [o for o in st.geometry if o not in need]:
        _give_back(st, idx, cw, oid)
    missing = {}
    for oid, (did, seq, h) in need.items():
        o = idx.objects.get(oid)
        if o is None or o.type != 'MESH':
            continue
        me = cache.get(h)
        if me is None:
            missing[oid] = (did, seq, h)
            continue
        if o.data != me:
            st.geometry.setdefault(oid, did)
            o.data = me
    return missing


def build(fetched: dict) -> None:
    """Writes fetched versions (hash -> (name, bytes, live data id)) into meshes of their own."""
    cw = runtime.session.content.world
    have = _cached()
    for h, (name, data, did) in fetched.items():
        if h in have:
            continue
        me = bpy.data.meshes.new(f'{name} (past)')
        M.write_geometry(me, data)
        me[MARK] = h
        live = cw.block(did) if cw is not None else None
        # The live mesh's materials, so the past shape is drawn as people know it.
        for m in (live.materials if isinstance(live, bpy.types.Mesh) else ()):
            me.materials.append(m)


def _give_back(st, idx, cw, oid) -> None:
    did = st.geometry.pop(oid, None)
    o = idx.objects.get(oid)
    live = cw.block(did) if (cw is not None and did) else None
    if o is not None and live is not None and o.data != live:
        o.data = live


def leave(st) -> None:
    """Every object its own mesh back; the stand-in meshes removed."""
    apply(st, {})
    tidy()


def tidy() -> None:
    """Removes stand-in meshes nothing shows (after leaving, or an undo or load
    that brought back a state holding them)."""
    unused = [me for me in bpy.data.meshes if MARK in me and me.users == 0 and not getattr(me, PROP, '')]
    if unused:
        bpy.data.batch_remove(unused)
