"""Previewing a past moment in Blender ([B5]): entering, showing moments, leaving.

Entering flushes what the session still holds (those are live edits), reads the
live scene (history_scene.read_live) and stops capture: the depsgraph handler
ignores every update until the preview ends (runtime checks ``previewing``),
no selection is sent, and the agent's messages are held (core Hold), so
nothing leaves this Blender while it shows the past. Leaving writes the live
values back, undoes what the person did meanwhile, turns capture back on and
then handles the held messages as if they had just arrived.
"""
import bpy

from . import history_geometry as HG
from . import history_scene as HS
from . import runtime
from .core.history_preview import Hold, Preview


class PreviewState:
    def __init__(self, scene, layer):
        self.scene_name = scene.name
        live, extra, unid, pointers = HS.read_live(scene, layer)
        self.preview = Preview(live)
        self.extra = extra
        self.unid = unid
        self.pointers = pointers
        self.hold = Hold()
        self.capturing = runtime.session.capturing
        self.shown_at = None      # the moment Blender shows (None: still the live scene)
        self.geometry = {}        # id -> its own data id, for objects showing a past mesh
        self.geometry_need = {}   # the past meshes the moment shown asks for (history_geometry)
        # Blender's Ctrl+Z loads the step before the newest one. So the preview
        # pushes two: the live scene as it begins, then (once a moment shows, and
        # again after each undo) one holding the preview; Ctrl+Z then lands on the
        # live scene, never on an older state that may lack objects or geometry.
        self.push_due = True


def can_enter():
    """None when a preview may start now, else why not (in words)."""
    s = runtime.session
    if s.connected and not s.capturing:
        return 'Wait until the status says Synced: the live scene is still arriving.'
    runtime.world.begin()
    if runtime.world.scene() is None:
        return 'The synced scene was deleted.'
    return None


def enter():
    s = runtime.session
    if s.connected:
        s.flush()
    world = runtime.world
    world.begin()
    scene = world.scene()
    st = PreviewState(scene, world.layer())
    # The live scene, unmarked: where a Ctrl+Z while previewing lands.
    runtime._push_undo('scenesync: live scene')
    world.forget_pointers()
    world.begin()
    scene = world.scene()
    s.capturing = False
    HS.mark(scene, True)
    s.changed = True
    return st


def show(st: PreviewState, target: dict) -> int:
    """Makes Blender show ``target`` (id -> PastObject); returns objects written."""
    world = runtime.world
    world.begin()
    scene = world.scene()
    if scene is None:
        return 0
    plan = st.preview.step(target)
    n = HS.apply(plan, HS.Index(scene), world.layer(), st.preview)
    _redraw()
    return n


def after_undo(st: PreviewState, target) -> None:
    """An undo while previewing replaced Blender's objects with an undo step's:
    what they show is unknown, so the moment is written again in full (on the
    live set of objects, which the undo may have changed)."""
    world = runtime.world
    world.begin()
    scene = world.scene()
    if scene is None:
        return
    p = st.preview
    # The undo step is from before any past mesh was built: objects show their own.
    st.geometry = {}
    st.push_due = True
    HG.tidy()
    # An undo further back than the preview's start may lack live objects (or
    # hold ones made since): the live set comes back first, as on leaving.
    HS.tidy(HS.Index(scene), p.live, st.extra, st.unid, st.pointers, world.layer())
    p.ghosts.clear()
    for shown in p.shown.values():
        shown.name = shown.parent = shown.visible = shown.xform = object()   # differs from any value
        shown.pose = {}
    HS.mark(scene, True)
    show(st, target if target is not None else p.live)


def leave(st: PreviewState, replay: bool = True) -> dict:
    """Back to the live scene; returns what was undone of the person's edits."""
    s = runtime.session
    world = runtime.world
    world.begin()
    scene = world.scene()
    out = {'brought_back': [], 'replayed': 0}
    if scene is not None:
        layer = world.layer()
        HG.leave(st)
        idx = HS.Index(scene)
        plan = st.preview.back()
        HS.apply(plan, idx, layer, None)
        HS.put_back(st.preview, idx, st.extra)
        out['brought_back'] = HS.tidy(HS.Index(scene), st.preview.live, st.extra, st.unid, st.pointers, layer)
        HS.mark(scene, False)
    # Pointers of objects removed and made again above are not the session's any more.
    world.forget_pointers()
    world.begin()
    s.capturing = st.capturing and s.connected
    if replay and s.connected:
        out['replayed'] = st.hold.replay(s, world)
    s.changed = True
    _redraw()
    return out


def _redraw() -> None:
    wm = bpy.context.window_manager
    if wm is None:
        return
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type in ('VIEW_3D', 'OUTLINER', 'PROPERTIES'):
                area.tag_redraw()
