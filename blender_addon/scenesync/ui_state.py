"""What the panel and the viewport overlay show, refreshed from the session
whenever it reports a change (status, error, peers)."""
import bpy

from .core import colors

# (rgb, peer name, [(id, object)]) for the presence overlay: built here, on the
# timer, because draw callbacks may not write to Blender data, and kept so a
# redraw does not look at every object of the scene. The objects are the
# session's index's (blender_world.py); ``generation`` is the index's when the
# list was made: after an undo or a file load they may be freed, and the
# overlay draws nothing until the list is made again.
presence = []
generation = -1
unresolved = False   # a selected id had no object yet (it may arrive later)


def refresh(session, world) -> None:
    presence.clear()
    wm = bpy.context.window_manager
    if wm is None:
        return
    wm.scenesync_peers.clear()
    for p in session.peers:
        rgb = colors.parse(p.get('color'))
        sel = [s for s in p.get('selection') or [] if isinstance(s, str)]
        item = wm.scenesync_peers.add()
        item.name = str(p.get('name') or 'someone')
        item.color = rgb
        names = world.names(sel) if session.connected else []
        item.selection = ', '.join(names[:4]) + (f' +{len(names) - 4}' if len(names) > 4 else '')
        if sel:
            presence.append((rgb, item.name, sel))
    resolve(session, world)
    tag_redraw(wm)


def resolve(session, world) -> None:
    """The objects of the presence list, from the index (no scan of the scene)."""
    global generation, unresolved
    out, missing = [], False
    for rgb, name, sel in presence:
        found = []
        for oid in sel if session.connected else ():
            o = world.obj(oid)
            if o is None:
                missing = True
            else:
                found.append((oid, o))
        out.append((rgb, name, sel, found))
    presence[:] = [(rgb, name, sel) for rgb, name, sel, _f in out]
    targets[:] = [(rgb, name, found) for rgb, name, _s, found in out]
    generation, unresolved = world.generation, missing


targets = []   # (rgb, peer name, [(id, object)])


def tag_redraw(wm) -> None:
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type == 'VIEW_3D':
                area.tag_redraw()
