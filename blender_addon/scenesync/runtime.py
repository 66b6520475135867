"""The add-on's one live session and the Blender callbacks that feed it.

Handlers capture local edits (depsgraph_update_post), keep identity and the
synced base across undo and file loads, and a persistent timer calls ``pump``,
which applies what the agent sent. ``pump`` is public because timers never run
in ``blender -b``: headless tests and benchmarks call it themselves.

The session is bound to the scene it was started on ([B4]): updates of other
scenes are ignored except for objects that are in the synced scene. Loading a
file ends the session, unless the file was saved from this room: then the
session goes on with what that file knew was synced.
"""
import json
import os
import sys
import time
import traceback

import bpy
from bpy.app.handlers import persistent

from .blender_world import PROP, SCENE_PROP, BlenderWorld
from .content import glue as content_glue
from .content.world import BlenderContent
from .core import agent_process, shadow
from .core.session import Session

# The installed add-on's own folder: the bundled agent sits in agent/ (read, never written).
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
from .core.undo import after_undo, recover_ids

CONNECTED_INTERVAL = 0.01
IDLE_INTERVAL = 0.25
SELECTION_EVERY = 0.1
PRESENCE_EVERY = 0.25

session = Session()
world = BlenderWorld()
session.content.world = BlenderContent(world)
handler_times = None      # a list while a benchmark measures the depsgraph handler
# The History panel's hooks (history.py sets this when it registers): while it
# shows the past, nothing is captured and the agent's messages are held ([B5]).
history = None
_state = {'in_undo': False, 'loading': False, 'last_selection_check': 0.0, 'last_presence': 0.0}


def _report(where: str) -> None:
    """A failure inside a callback must not stop the callback (Blender drops a
    timer that raises); it is shown in the panel and printed with its trace."""
    session.error = f'{where}: {sys.exc_info()[1]}'
    session.changed = True
    traceback.print_exc()


def _bind(scene) -> str:
    sid = world.bind(scene)
    session.scene_id = sid
    return sid


def connect(url: str, room: str, name: str, token: str = '', command: str = '', node: str = '') -> bool:
    """Joins the room; `command` empty runs the agent inside the add-on with Node.js (`node`, else found)."""
    disconnect()
    world.begin()
    scene = bpy.context.scene
    sid = world.bind(scene)
    target = (url, room)
    if session.target != target or session.scene_id != sid:
        # What this scene knew was synced with this room, if it was saved from it.
        saved = _saved_base(scene)
        if saved is not None and (saved['url'], saved['room']) == target:
            session.reset_base(shadow.load_all(saved.get('objects')), target, Session.load_edited(saved.get('edited')), _file_time())
            _load_content(saved, target)
        else:
            session.reset_base({}, target)
    session.scene_id = sid
    try:
        agent = agent_process.start(command, url, room, name, token, file_id=sid, node=node, package_dir=PACKAGE_DIR)
    except agent_process.StartError as e:
        session.status, session.error = 'error', str(e)
        session.log(session.error)
        session.changed = True
        return False
    session.connect(agent, target)
    from .props import prefs
    p = prefs()
    session.content.sync_while_editing = bool(getattr(p, 'sync_while_editing', False))
    return True


def disconnect() -> None:
    if history is not None:
        history.leave()
    world.begin()
    session.disconnect()


def pump():
    """Applies queued agent output and sends held values; the timer's callback.
    Returns the delay before the next call, as bpy.app.timers expects."""
    try:
        world.begin()
        if history is not None:
            history.tick()
        if session.connected:
            if world.scene() is None:
                session.end(f'The synced scene "{world.scene_name}" was deleted, so the session ended. '
                            'Press Connect to share the scene you are on now.')
                world.unbind()
            elif history is not None and history.holding():
                history.hold(session)
            else:
                session.pump(world)
                if world.sweeping and session.capturing:
                    # Visibility a Scene update hid from us, a slice per tick.
                    session.local_visibility(world, world.sweep())
                _check_selection()
                if session.undo_push:
                    _push_undo(session.undo_push)
        from . import ui_state
        if session.changed:
            session.changed = False
            ui_state.refresh(session, world)
        elif ui_state.presence and (ui_state.generation != world.generation or ui_state.unresolved):
            # The index was made anew (undo, load) or a selected object may have arrived.
            now = time.monotonic()
            if now - _state['last_presence'] >= PRESENCE_EVERY:
                _state['last_presence'] = now
                ui_state.resolve(session, world)
                ui_state.tag_redraw(bpy.context.window_manager)
    except Exception:
        _report('applying remote changes')
    return CONNECTED_INTERVAL if session.connected else IDLE_INTERVAL


def _push_undo(message: str) -> None:
    """An undo step right after the session stamped ids or created objects, so one
    Ctrl+Z goes back to a state that has them (core/undo.py)."""
    session.undo_push = None
    try:
        bpy.ops.ed.undo_push(message=message)
    except RuntimeError:
        pass  # no undo stack here (a context without one): nothing to protect


def _check_selection() -> None:
    now = time.monotonic()
    if now - _state['last_selection_check'] < SELECTION_EVERY or not session.capturing:
        return
    _state['last_selection_check'] = now
    vl = bpy.context.view_layer
    if vl is None or bpy.context.scene != world.scene():
        return  # the window shows another scene: what is selected there is not ours to show
    sel = [getattr(o, PROP) for o in vl.objects.selected if getattr(o, PROP)]
    active = vl.objects.active
    session.local_selection(sel, (getattr(active, PROP) or None) if active is not None else None)


def _note_offline(depsgraph) -> None:
    """Not capturing, but the session knows what was synced: note when each
    transform channel changed, so a reconnect sends the edit with its time."""
    base = session.base
    moved, poses = [], []
    world.begin()
    for u in depsgraph.updates:
        idb = u.id.original
        if not isinstance(idb, bpy.types.Object):
            continue
        oid = getattr(idb, PROP)
        if not oid or oid not in base or world.pointer(oid) not in (None, idb.as_pointer()):
            continue
        if u.is_updated_transform:
            moved.append(oid)
        if u.is_updated_geometry and idb.type == 'ARMATURE':
            poses.append(oid)
    if moved or poses:
        session.note_offline(world, moved, poses)


@persistent
def on_depsgraph_update(scene, depsgraph):
    if _state['in_undo'] or _state['loading'] or (history is not None and history.previewing()):
        return
    if not session.capturing:
        if session.base:
            try:
                _note_offline(depsgraph)
            except Exception:
                _report('noting an offline edit')
        return
    t0 = time.perf_counter()
    try:
        world.begin()
        bound = world.scene()
        if bound is None:
            return  # the synced scene was deleted: the timer ends the session
        bound_ptr = bound.as_pointer()
        updates = [(u, u.id.original) for u in depsgraph.updates]
        # Scene content first: what it notes goes out with the commits below.
        content_glue.note(session.content, updates)
        structure = any(isinstance(idb, bpy.types.Collection) or (isinstance(idb, bpy.types.Scene) and idb.as_pointer() == bound_ptr)
                        for _u, idb in updates)
        if structure:
            # Objects may have come in from other scenes: what was foreign is looked at again.
            world.forget_foreign()
        moved, others, poses, found = [], [], [], []
        for u, idb in updates:
            if not isinstance(idb, bpy.types.Object):
                continue
            oid = getattr(idb, PROP)
            if not oid or world.pointer(oid) != idb.as_pointer():
                # New, or a duplicate carrying a copied id ([B2]): it gets an id
                # of its own before anything is diffed (if it is in the synced scene).
                found.append(idb)
                continue
            (moved if u.is_updated_transform else others).append(oid)
            # Bone edits tag the armature's geometry, never its transform.
            if u.is_updated_geometry and idb.type == 'ARMATURE':
                poses.append(oid)
        session.local_changed(world, moved, poses, others)
        # Objects of other scenes are none of ours ([B4]).
        found = world.ours(found) if found else found
        if found:
            new = world.add_found(found)
            session.local_changed(world, new, [o for o in new if world.is_armature(o)])
        if structure:
            session.local_structure(world)
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
        if world.scene() is None:
            return
        if history is not None and history.after_undo():
            return
        if session.capturing:
            session.content.after_undo()
            after_undo(session, world)
        elif session.base:
            # Disconnected: still give objects back the ids an undo took, so the
            # next connect does not see them as new.
            recover_ids(session, world)
    except Exception:
        _report('after undo')


@persistent
def on_load_pre(*_args):
    _state['loading'] = True
    try:
        if history is not None:
            history.before_load()
        # The old file's last held values still go out before it is replaced.
        session.flush()
    except Exception:
        _report('before loading a file')
    # The file's own depsgraph updates are not edits.
    session.capturing = False
    world.forget_pointers()


@persistent
def on_load_post(*_args):
    _state['loading'] = False
    try:
        world.forget_pointers()
        session.content.world.forget_pointers()
        _after_load()
        if history is not None:
            history.after_load()
    except Exception:
        _report('after loading a file')
    session.changed = True


def _after_load() -> None:
    if session.connected:
        scene, saved = _find_saved(session.target)
        if scene is None:
            url, room = session.target
            name = os.path.basename(bpy.data.filepath) or 'a new file'
            world.unbind()
            session.end(f'Disconnected from room "{room}": {name} was opened, and it was not saved from this room. '
                        'Nothing of it was sent. Press Connect to share it in the room.')
            return
        # A file saved from this room: go on, with what it knew was synced.
        _bind(scene)
        session.reset_base(shadow.load_all(saved.get('objects')), session.target, Session.load_edited(saved.get('edited')), _file_time())
        _load_content(saved, session.target)
        world.begin()
        session.seed_seen(world)
        return
    scene, saved = _find_saved(None)
    if scene is None:
        session.reset_base({})
        session.target = session.scene_id = None
        world.unbind()
        return
    # Not connected: keep what the file knew, so edits made before connecting
    # are noted with their time and a later Connect merges them ([B3]).
    session.reset_base(shadow.load_all(saved.get('objects')), (saved['url'], saved['room']), Session.load_edited(saved.get('edited')), _file_time())
    _load_content(saved, (saved['url'], saved['room']))
    session.scene_id = getattr(scene, SCENE_PROP) or None
    world.unbind()
    world.begin()
    session.seed_seen(world)


def _load_content(saved, target) -> None:
    """What the file knew of the room's scene content ([B3]), for ``target``."""
    session.content.load(saved.get('content'))
    session.content_target = target


def _find_saved(target):
    """The scene of the loaded file that was saved from ``target`` (any room when
    None; the window's scene first), with what it saved."""
    scenes = list(bpy.data.scenes)
    current = bpy.context.scene
    if current in scenes:
        scenes.remove(current)
        scenes.insert(0, current)
    for sc in scenes:
        saved = _saved_base(sc)
        if saved is not None and (target is None or (saved['url'], saved['room']) == tuple(target)) and getattr(sc, SCENE_PROP):
            return sc, saved
    return None, None


@persistent
def on_save_pre(*_args):
    if history is not None:
        history.before_save()
    if session.target is None or session.scene_id is None:
        return
    world.begin()
    scene = world.scene() if world.scene_id is not None else next(
        (sc for sc in bpy.data.scenes if getattr(sc, SCENE_PROP) == session.scene_id), None)
    if scene is None:
        return
    url, room = session.target
    setattr(scene, 'scenesync_base', json.dumps({'url': url, 'room': room, 'objects': shadow.dump_all(session.base),
                                                  'edited': session.dump_edited(), 'content': session.content.dump()}))


def _saved_base(scene):
    """What a saved file knew was synced, and for which server and room: it tells
    offline edits apart from values that are merely old ([B3]). Connecting to
    another room discards it (Session.connect)."""
    raw = getattr(scene, 'scenesync_base', '') if scene is not None else ''
    try:
        d = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(d, dict) or not isinstance(d.get('url'), str) or not isinstance(d.get('room'), str):
        return None
    return d


def _file_time():
    """When the open file was written (ms): edits in it that nobody noted were made before."""
    try:
        return os.path.getmtime(bpy.data.filepath) * 1000.0 if bpy.data.filepath else None
    except OSError:
        return None


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
