"""The add-on's one live session and the Blender callbacks that feed it.

Handlers capture local edits (depsgraph_update_post), keep identity and the
synced base across undo and file loads, and a persistent timer calls ``pump``,
which applies what the agent sent. ``pump`` is public because timers never run
in ``blender -b``: headless tests and benchmarks call it themselves.
"""
import json
import sys
import time
import traceback

import bpy
from bpy.app.handlers import persistent

from .blender_world import PROP, BlenderWorld
from .content import glue as content_glue
from .content.world import BlenderContent
from .core import agent_process, shadow
from .core.session import Session
from .core.undo import after_undo

CONNECTED_INTERVAL = 0.01
IDLE_INTERVAL = 0.25
SELECTION_EVERY = 0.1

session = Session()
world = BlenderWorld()
session.content.world = BlenderContent(world)
handler_times = None      # a list while a benchmark measures the depsgraph handler
_state = {'in_undo': False, 'last_selection_check': 0.0}


def _report(where: str) -> None:
    """A failure inside a callback must not stop the callback (Blender drops a
    timer that raises); it is shown in the panel and printed with its trace."""
    session.error = f'{where}: {sys.exc_info()[1]}'
    session.changed = True
    traceback.print_exc()


def connect(url: str, room: str, name: str, token: str = '', command: str = 'scenesync agent') -> bool:
    disconnect()
    try:
        agent = agent_process.start(command, url, room, name, token)
    except (OSError, ValueError) as e:
        session.status, session.error = 'error', f'cannot start the agent ({command!r}): {e}'
        session.changed = True
        return False
    world.begin()
    session.connect(agent, (url, room))
    from .props import prefs
    p = prefs()
    session.content.sync_while_editing = bool(getattr(p, 'sync_while_editing', False))
    return True


def disconnect() -> None:
    world.begin()
    session.disconnect()


def pump():
    """Applies queued agent output and sends held values; the timer's callback.
    Returns the delay before the next call, as bpy.app.timers expects."""
    try:
        if session.connected:
            world.begin()
            session.pump(world)
            _check_selection()
        if session.changed:
            session.changed = False
            from . import ui_state
            ui_state.refresh(session, world)
    except Exception:
        _report('applying remote changes')
    return CONNECTED_INTERVAL if session.connected else IDLE_INTERVAL


def _check_selection() -> None:
    now = time.monotonic()
    if now - _state['last_selection_check'] < SELECTION_EVERY or not session.capturing:
        return
    _state['last_selection_check'] = now
    vl = bpy.context.view_layer
    if vl is None:
        return
    sel = [getattr(o, PROP) for o in vl.objects.selected if getattr(o, PROP)]
    active = vl.objects.active
    session.local_selection(sel, (getattr(active, PROP) or None) if active is not None else None)


@persistent
def on_depsgraph_update(scene, depsgraph):
    if not session.capturing or _state['in_undo']:
        return
    t0 = time.perf_counter()
    try:
        # Scene content first: what it notes goes out with the commits below.
        content_glue.note(session.content, depsgraph)
        objs, moved, others, poses, structure, suspects = {}, [], [], [], False, []
        known = world.known
        for u in depsgraph.updates:
            idb = u.id.original
            if isinstance(idb, bpy.types.Object):
                oid = getattr(idb, PROP)
                if not oid or known.get(oid) != idb.as_pointer():
                    # New, or a duplicate carrying a copied id ([B2]): the scan
                    # below gives it an id of its own before anything is diffed.
                    structure = True
                    if oid:
                        suspects.append(oid)
                    continue
                objs[oid] = idb
                (moved if u.is_updated_transform else others).append(oid)
                # Bone edits tag the armature's geometry, never its transform.
                if u.is_updated_geometry and idb.type == 'ARMATURE':
                    poses.append(oid)
            elif isinstance(idb, (bpy.types.Scene, bpy.types.Collection)):
                structure = True
        world.begin(objs)
        session.local_changed(world, moved, poses, others)
        if structure:
            session.local_structure(world)
            if suspects:
                session.local_changed(world, suspects, [o for o in suspects if world.is_armature(o)])
        session.content.end_updates()
    except Exception:
        _report('capturing an edit')
    if handler_times is not None:
        handler_times.append(time.perf_counter() - t0)


@persistent
def on_undo_pre(*_args):
    _state['in_undo'] = True


@persistent
def on_undo_post(*_args):
    _state['in_undo'] = False
    try:
        world.forget_pointers()
        world.begin()
        session.content.world.forget_pointers()
        session.content.after_undo()
        after_undo(session, world)
    except Exception:
        _report('after undo')


@persistent
def on_load_pre(*_args):
    # The file's own depsgraph updates are not edits.
    session.capturing = False


@persistent
def on_load_post(*_args):
    world.forget_pointers()
    session.content.world.forget_pointers()
    saved = _saved_base()
    target = None if saved is None else (saved['url'], saved['room'])
    if target is None or (session.connected and target != session.target):
        session.reset_base({})
    else:
        session.reset_base(shadow.load_all(saved.get('objects')), target)
        session.content.load(saved.get('content'))
        session.content_target = target
    session.changed = True


@persistent
def on_save_pre(*_args):
    scene = bpy.context.scene
    if scene is None or session.target is None:
        return
    url, room = session.target
    setattr(scene, 'scenesync_base', json.dumps({'url': url, 'room': room, 'objects': shadow.dump_all(session.base), 'content': session.content.dump()}))


def _saved_base():
    """What a saved file knew was synced, and for which server and room: it tells
    offline edits apart from values that are merely old ([B3]). Connecting to
    another room discards it (Session.connect)."""
    scene = bpy.context.scene
    raw = getattr(scene, 'scenesync_base', '') if scene is not None else ''
    try:
        d = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(d, dict) or not isinstance(d.get('url'), str) or not isinstance(d.get('room'), str):
        return None
    return d


HANDLERS = (
    ('depsgraph_update_post', on_depsgraph_update),
    ('undo_pre', on_undo_pre),
    ('redo_pre', on_undo_pre),
    ('undo_post', on_undo_post),
    ('redo_post', on_undo_post),
    ('load_pre', on_load_pre),
    ('load_post', on_load_post),
    ('save_pre', on_save_pre),
)


def register() -> None:
    for name, fn in HANDLERS:
        getattr(bpy.app.handlers, name).append(fn)
    bpy.app.timers.register(pump, first_interval=IDLE_INTERVAL, persistent=True)


def unregister() -> None:
    if bpy.app.timers.is_registered(pump):
        bpy.app.timers.unregister(pump)
    for name, fn in reversed(HANDLERS):
        lst = getattr(bpy.app.handlers, name)
        if fn in lst:
            lst.remove(fn)
    disconnect()
