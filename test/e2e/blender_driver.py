"""Drives one Blender with the scenesync add-on for the end-to-end tests.

    blender -b --factory-startup --python blender_driver.py -- [--addon-path DIR | --zip FILE] [--rig] [--gui]

Commands come on stdin, one JSON object per line ({"id", "cmd", ...}); each
answer is one line on stdout starting with "@@ " (Blender prints other things).
Headless (-b), timers never fire, so the driver calls the add-on's pump
itself every 10 ms and after each step, and updates the view layer (which runs
the depsgraph handler). With --gui (a real window, under xvfb-run) it never does: commands
run from a timer and Blender's own event loop drives the add-on.
"""
import json
import math
import os
import queue
import sys
import textwrap
import threading
import time
import traceback

import addon_utils
import bpy

ARGS = sys.argv[sys.argv.index('--') + 1:] if '--' in sys.argv else []
GUI = '--gui' in ARGS
RIG_ID = '7d0c5a3e-0000-4000-8000-00000000f1a9'


def arg(name, default=None):
    return ARGS[ARGS.index(name) + 1] if name in ARGS else default


def out(msg):
    sys.stdout.write('@@ ' + json.dumps(msg) + '\n')
    sys.stdout.flush()


def load_addon():
    z = arg('--zip')
    if z:
        bpy.ops.preferences.addon_install(filepath=z, overwrite=True)
    else:
        sys.path.insert(0, arg('--addon-path'))
    mod = addon_utils.enable('scenesync', default_set=True, handle_error=None)
    if mod is None:
        raise RuntimeError('could not enable the scenesync add-on')
    return mod


def setup_scene(rig='--rig' in ARGS):
    # The factory scene's cube, light and camera would be shared as new objects.
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o, do_unlink=True)
    if rig:
        # The same rig, same id, in every Blender: as if all opened one shared .blend.
        arm = bpy.data.armatures.new('RigData')
        rig = bpy.data.objects.new('Rig', arm)
        bpy.context.scene.collection.objects.link(rig)
        rig.scenesync_id = RIG_ID
        arm.scenesync_id = RIG_ID + '-data'  # the data block's id too, as a shared .blend holds it
        bpy.context.view_layer.objects.active = rig
        bpy.ops.object.mode_set(mode='EDIT')
        parent = None
        for i, name in enumerate(('root', 'spine', 'head')):
            b = arm.edit_bones.new(name)
            b.head, b.tail = (0, 0, i), (0, 0, i + 1)
            b.parent = parent
            parent = b
        bpy.ops.object.mode_set(mode='OBJECT')


ADDON = load_addon()
from scenesync import runtime  # noqa: E402
from scenesync.blender_world import PROP, read_xform  # noqa: E402
from scenesync.props import prefs  # noqa: E402

setup_scene()

# What the add-on printed to Blender's console, as a list (pipes may split lines).
LOGGED = []
_print_log = runtime.session.log


def _log(msg):
    LOGGED.append(msg)
    _print_log(msg)


runtime.session.log = _log


def obj(oid):
    for o in bpy.context.scene.objects:
        if getattr(o, PROP) == oid:
            return o
    return None


def by_name(name):
    return bpy.context.scene.objects.get(name)


def xf_json(x):
    return {'mode': x[0], 'location': list(x[1]), 'rotation': list(x[2]), 'scale': list(x[3])}


def state(scene=None):
    """Every object with an id in the window's scene (or in the scene named ``scene``)."""
    res = {}
    for o in (bpy.data.scenes[scene] if scene else bpy.context.scene).objects:
        oid = getattr(o, PROP)
        if not oid:
            continue
        res[oid] = {
            'name': o.name, 'type': o.type, 'data': o.data.name if o.data else None, 'parent': getattr(o.parent, PROP) if o.parent else None,
            'visible': not o.hide_get(), 'xform': xf_json(read_xform(o)),
            'pose': {pb.name: xf_json(read_xform(pb)) for pb in o.pose.bones} if o.type == 'ARMATURE' and o.pose else {},
        }
    return res


def xclose(o, x, tol=1e-5):
    """Whether object or pose bone ``o`` holds transform ``x`` (a JSON xform), to float32 precision."""
    if o is None:
        return False
    m, loc, rot, scale = read_xform(o)
    if m != x['mode']:
        return False
    a, b = list(loc) + list(rot) + list(scale), x['location'] + x['rotation'] + x['scale']
    return len(a) == len(b) and all(abs(u - v) <= tol * max(1.0, abs(u)) for u, v in zip(a, b))


def new_object(name, kind='MESH'):
    data = {'MESH': lambda: bpy.data.meshes.new(name), 'EMPTY': lambda: None}[kind]()
    o = bpy.data.objects.new(name, data)
    bpy.context.scene.collection.objects.link(o)
    return o


def view3d():
    """A context override with the first window's 3D Viewport, as a click there would have."""
    w = bpy.context.window_manager.windows[0]
    for area in w.screen.areas:
        if area.type == 'VIEW_3D':
            region = next(r for r in area.regions if r.type == 'WINDOW')
            return dict(window=w, screen=w.screen, area=area, region=region)
    return dict(window=w, screen=w.screen)


def op(path, undo=True, **kw):
    """Runs an operator as the UI does: in the 3D Viewport, pushing its undo step."""
    fn = bpy.ops
    for part in path.split('.'):
        fn = getattr(fn, part)
    with bpy.context.temp_override(**view3d()):
        r = fn('EXEC_DEFAULT', undo, **kw)
    if 'FINISHED' not in r:
        raise RuntimeError(f'{path} returned {r}')
    return r


def undo():
    # Ctrl+Z: the real operator, from the window.
    with bpy.context.temp_override(**view3d()):
        return bpy.ops.ed.undo()


def redo():
    with bpy.context.temp_override(**view3d()):
        return bpy.ops.ed.redo()


def select_only(*objs):
    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    for o in objs:
        o.select_set(True)
    bpy.context.view_layer.objects.active = objs[0] if objs else None


def tick():
    if GUI:
        return
    ADDON.pump()
    bpy.context.view_layer.update()
    ADDON.pump()


NS = {'bpy': bpy, 'obj': obj, 'by_name': by_name, 'state': state, 'runtime': runtime, 'session': runtime.session,
      'PROP': PROP, 'math': math, 'tick': tick, 'time': time, 'RIG_ID': RIG_ID, 'read_xform': read_xform,
      'xclose': xclose, 'new_object': new_object, 'addon': ADDON, 'op': op, 'undo': undo, 'redo': redo,
      'select_only': select_only, 'view3d': view3d, 'GUI': GUI, 'reset_scene': setup_scene, 'LOGGED': LOGGED,
      'xf_json': xf_json}


def until(expr, timeout):
    end = time.monotonic() + timeout
    last = None
    while True:
        last = eval(expr, NS)
        if last:
            return last
        if time.monotonic() > end:
            raise TimeoutError(f'{expr} still {last!r} after {timeout}s; status={runtime.session.status} error={runtime.session.error!r}')
        yield


def command(c):
    """A generator: it yields while it waits, and returns the command's result."""
    cmd = c['cmd']
    NS.update(c.get('vars') or {})
    if cmd == 'config':
        p = prefs()
        for k in ('server_url', 'room', 'display_name', 'agent_command', 'node_executable', 'token'):
            if k in c:
                setattr(p, k, c[k])
        return True
    if cmd == 'connect':
        r = bpy.ops.scenesync.connect()
        if 'FINISHED' not in r:
            raise RuntimeError(f'connect failed: {runtime.session.error}')
        yield from until('session.capturing', c.get('timeout', 30))
        return runtime.session.status
    if cmd == 'disconnect':
        bpy.ops.scenesync.disconnect()
        return runtime.session.status
    if cmd == 'exec':
        NS['result'] = None
        exec(textwrap.dedent(c['code']), NS)
        tick()
        return NS.get('result')
    if cmd == 'eval':
        return eval(c['expr'], NS)
    if cmd == 'until':
        return (yield from until(c['expr'], c.get('timeout', 20)))
    if cmd == 'run':
        end = time.monotonic() + c['seconds']
        while time.monotonic() < end:
            yield
        return True
    if cmd == 'barrier':
        # Every op sent so far has been applied by the agent (and journaled).
        for _ in range(3):
            tick()
        idx = runtime.session.request_scene()
        yield from until(f'session.synced_through({idx})', c.get('timeout', 20))
        return True
    if cmd == 'state':
        return state(c.get('scene'))
    if cmd == 'quit':
        runtime.disconnect()
        raise SystemExit(0)
    raise ValueError(f'unknown command {cmd!r}')


def run(c):
    try:
        gen = command(c)
        while True:
            try:
                next(gen)
            except StopIteration as done:
                out({'id': c.get('id'), 'ok': True, 'result': done.value})
                return
            tick()
            time.sleep(0.005)
    except SystemExit:
        out({'id': c.get('id'), 'ok': True, 'result': None})
        sys.stdout.flush()
        os._exit(0)
    except Exception as e:
        out({'id': c.get('id'), 'ok': False, 'error': f'{type(e).__name__}: {e}', 'trace': traceback.format_exc()})


def read_stdin(inbox):
    for line in sys.stdin:
        if line.strip():
            inbox.put(json.loads(line))
    inbox.put(None)


def headless():
    """Between commands the driver keeps pumping every 10 ms, as the timer would
    in a Blender with a window: a value held by the coalescer still goes out."""
    inbox = queue.Queue()
    threading.Thread(target=read_stdin, args=(inbox,), daemon=True).start()
    out({'ready': True, 'background': bpy.app.background})
    while True:
        try:
            c = inbox.get(timeout=runtime.CONNECTED_INTERVAL)
        except queue.Empty:
            tick()
            continue
        if c is None:
            break
        run(c)
    runtime.disconnect()


def gui():
    inbox = queue.Queue()
    threading.Thread(target=read_stdin, args=(inbox,), daemon=True).start()
    current = {}

    def step():
        try:
            if 'gen' not in current:
                try:
                    c = inbox.get_nowait()
                except queue.Empty:
                    return 0.01
                if c is None:
                    os._exit(0)
                current['c'], current['gen'] = c, command(c)
            try:
                next(current['gen'])
            except StopIteration as done:
                out({'id': current['c'].get('id'), 'ok': True, 'result': done.value})
                current.clear()
        except SystemExit:
            out({'id': current.get('c', {}).get('id'), 'ok': True, 'result': None})
            os._exit(0)
        except Exception as e:
            out({'id': current.get('c', {}).get('id'), 'ok': False, 'error': f'{type(e).__name__}: {e}',
                 'trace': traceback.format_exc()})
            current.clear()
        return 0.01

    bpy.app.timers.register(step, first_interval=0.1, persistent=True)
    out({'ready': True, 'background': bpy.app.background})


if GUI:
    gui()
else:
    headless()
