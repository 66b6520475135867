"""Collections of the synced scene: hierarchy, names, flags (the collection's
own and its layer collection's in the scene's view layer), and which of them
an object is linked to. ``@scene`` is the scene's own collection."""
import bpy

from . import values
from ..core import ids as IDS
from ..core.content_settings import COLLECTION_FLAGS
from ..core.content_world import SCENE_COLLECTION

PROP = 'scenesync_id'


def view_layer(scene):
    vl = bpy.context.view_layer
    if vl is not None and bpy.context.scene == scene:
        return vl
    return scene.view_layers[0] if scene.view_layers else None


def layer_of(vl, coll):
    """The layer collection of ``coll`` in view layer ``vl``, or None."""
    if vl is None:
        return None
    stack = [vl.layer_collection]
    while stack:
        lc = stack.pop()
        if lc.collection == coll:
            return lc
        stack.extend(lc.children)
    return None


def tree(scene, known: dict):
    """[(collection, parent collection or None)] for the scene's tree, parents
    first, each collection once; collections without an id, or with a copied
    one, get their own. ``known``: id -> pointer of the collection that had it."""
    out, seen = [], set()
    stack = [(c, None) for c in reversed(scene.collection.children)]
    while stack:
        c, parent = stack.pop()
        if c.as_pointer() in seen:
            continue  # linked under two parents: the first one counts
        seen.add(c.as_pointer())
        out.append((c, parent))
        stack.extend((ch, c) for ch in reversed(c.children))
    entries = [(c.as_pointer(), getattr(c, PROP)) for c, _ in out]
    dup = set(IDS.duplicates([e for e in entries if e[1]], known))
    for (c, _), (ptr, cid) in zip(out, entries):
        if not cid or ptr in dup:
            setattr(c, PROP, IDS.new_id())
        known[getattr(c, PROP)] = ptr
    return out


def state(scene, coll, parent) -> dict:
    vl = view_layer(scene)
    lc = layer_of(vl, coll)
    flags = {}
    for key, (where, prop) in COLLECTION_FLAGS.items():
        owner = coll if where == 'collection' else lc
        if owner is not None:
            flags[key] = bool(getattr(owner, prop))
    return {'name': coll.name, 'parent': getattr(parent, PROP) if parent is not None else None, 'flags': flags}


def find(scene, cid):
    for c in scene.collection.children_recursive:
        if getattr(c, PROP) == cid:
            return c
    return None


def write(scene, cid, st) -> None:
    """Creates or updates the collection and puts it under its parent (or the
    scene's own collection); a parent that would make a loop is refused."""
    c = find(scene, cid)
    if c is None:
        c = next((x for x in bpy.data.collections if getattr(x, PROP) == cid), None)
        if c is None:
            c = bpy.data.collections.new(st['name'])
            setattr(c, PROP, cid)
    values.rename(c, st['name'], bpy.data.collections)
    parent = scene.collection if st.get('parent') is None else (find(scene, st['parent']) or scene.collection)
    if parent == c:
        parent = None
    elif parent.children.get(c.name) != c:
        try:
            parent.children.link(c)
        except RuntimeError:
            parent = None  # it would make a loop: it stays where it is
    if parent is not None:
        for other in [scene.collection] + list(scene.collection.children_recursive):
            if other != parent and other.children.get(c.name) == c:
                other.children.unlink(c)
    vl = view_layer(scene)
    lc = layer_of(vl, c)
    for key, v in (st.get('flags') or {}).items():
        where, prop = COLLECTION_FLAGS.get(key, (None, None))
        owner = c if where == 'collection' else lc if where == 'layer' else None
        if owner is not None and bool(getattr(owner, prop)) != bool(v):
            setattr(owner, prop, bool(v))


def delete(scene, cid) -> None:
    """Removes the collection; its objects that would be left in no collection
    of the scene go to the scene's own collection (never out of the scene, [B4])."""
    c = find(scene, cid)
    if c is None:
        return
    for o in list(c.objects):
        if not any(u != c and (u == scene.collection or u in scene.collection.children_recursive) for u in o.users_collection):
            scene.collection.objects.link(o)
    for child in list(c.children):
        if child not in scene.collection.children.values():
            scene.collection.children.link(child)
    vl = view_layer(scene)
    if vl is not None and vl.active_layer_collection.collection == c:
        # Removing the active collection leaves the view layer pointing at freed memory.
        vl.active_layer_collection = vl.layer_collection
    bpy.data.collections.remove(c)


def members(scene, obj, in_scene) -> tuple:
    """The collection ids an object is linked to in this scene, sorted as Blender lists them."""
    out = []
    for u in obj.users_collection:
        if u == scene.collection:
            out.append(SCENE_COLLECTION)
        elif u.as_pointer() in in_scene:
            cid = getattr(u, PROP)
            if cid:
                out.append(cid)
    return tuple(out)


def targets(scene, cids) -> list:
    """The collections of this scene ``cids`` names (the scene's own when none
    of them is here: an object is never taken out of the scene, [B4])."""
    out = []
    for cid in cids:
        c = scene.collection if cid == SCENE_COLLECTION else find(scene, cid)
        if c is not None and c not in out:
            out.append(c)
    return out or [scene.collection]


def set_members(scene, obj, cids) -> None:
    wanted = targets(scene, cids)
    for c in wanted:
        if c.objects.get(obj.name) != obj:
            c.objects.link(obj)
    for u in list(obj.users_collection):
        in_this = u == scene.collection or u in scene.collection.children_recursive
        if in_this and u not in wanted:
            u.objects.unlink(obj)
