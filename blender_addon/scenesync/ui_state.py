"""What the panel and the viewport overlay show, refreshed from the session
whenever it reports a change (status, error, peers)."""
import bpy

from .core import colors

# (rgb, peer name, selected ids) for the presence overlay; built here, on the
# timer, because draw callbacks may not write to Blender data.
presence = []


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
    tag_redraw(wm)


def tag_redraw(wm) -> None:
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type == 'VIEW_3D':
                area.tag_redraw()
