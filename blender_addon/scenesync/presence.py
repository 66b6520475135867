"""Other users' selections in the viewport: a box around each object they have
selected, in their color, with their name. Drawn with ``gpu`` (``bgl`` is gone
in Blender 4) and only when Blender has a window: ``blender -b`` has no GPU
context, and registering draw handlers there would be pointless.
"""
import blf
import bpy
import gpu
from bpy_extras.view3d_utils import location_3d_to_region_2d
from gpu_extras.batch import batch_for_shader
from mathutils import Vector

from . import ui_state
from .blender_world import PROP

_EDGES = (0, 1, 1, 2, 2, 3, 3, 0, 4, 5, 5, 6, 6, 7, 7, 4, 0, 4, 1, 5, 2, 6, 3, 7)
_handles = []
drawn = {'boxes': 0}   # how many boxes were drawn; tests under a real window check it


def _targets():
    """What to draw, from the list the timer made (ui_state.resolve): no pass
    over the scene per redraw. Each object is checked before use: one deleted
    since raises ReferenceError, and after an undo or a file load (a new index
    generation) nothing of the list is touched at all."""
    from . import runtime
    if not ui_state.targets or ui_state.generation != runtime.world.generation:
        return []
    out = []
    for rgb, name, objs in ui_state.targets:
        for oid, o in objs:
            try:
                if getattr(o, PROP) == oid and o.visible_get():
                    out.append((rgb, name, o))
            except ReferenceError:
                pass
    return out


def draw_boxes():
    targets = _targets()
    if not targets:
        return
    shader = gpu.shader.from_builtin('UNIFORM_COLOR')
    gpu.state.blend_set('ALPHA')
    gpu.state.line_width_set(2.0)
    for rgb, _name, o in targets:
        mw = o.matrix_world
        corners = [mw @ Vector(c) for c in o.bound_box]
        batch = batch_for_shader(shader, 'LINES', {'pos': [corners[i] for i in _EDGES]})
        shader.bind()
        shader.uniform_float('color', (rgb[0], rgb[1], rgb[2], 0.9))
        batch.draw(shader)
        drawn['boxes'] += 1
    gpu.state.line_width_set(1.0)
    gpu.state.blend_set('NONE')


def draw_labels():
    targets = _targets()
    if not targets:
        return
    region, rv3d = bpy.context.region, bpy.context.region_data
    if region is None or rv3d is None:
        return
    scale = bpy.context.preferences.view.ui_scale
    seen = set()
    for rgb, name, o in targets:
        if (name, o.name) in seen:
            continue
        seen.add((name, o.name))
        p = location_3d_to_region_2d(region, rv3d, o.matrix_world.translation)
        if p is None:
            continue
        blf.size(0, 12 * scale)
        blf.color(0, rgb[0], rgb[1], rgb[2], 1.0)
        blf.position(0, p.x + 10 * scale, p.y + 10 * scale, 0)
        blf.draw(0, name)


def register() -> None:
    if bpy.app.background:
        return
    _handles.append(bpy.types.SpaceView3D.draw_handler_add(draw_boxes, (), 'WINDOW', 'POST_VIEW'))
    _handles.append(bpy.types.SpaceView3D.draw_handler_add(draw_labels, (), 'WINDOW', 'POST_PIXEL'))


def unregister() -> None:
    while _handles:
        bpy.types.SpaceView3D.draw_handler_remove(_handles.pop(), 'WINDOW')
