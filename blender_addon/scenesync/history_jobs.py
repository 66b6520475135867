"""Bake and restore from the History panel: the jobs that read what they need
from the server (on the worker thread) and the main-thread steps that write it.

A bake reads the scene at the range's start and each chosen object's history
over the range, then writes one new action per object a few objects per timer
tick, with Blender's progress bar through both phases. A restore reads the
scene at the moment (or uses the one being shown), ends the preview, and
sends the difference as one edit (core/history_restore.py).
"""
import time

import bpy

from . import history_bake as HB
from . import runtime
from .core import history_client as C
from .core import history_restore as R
from .core.history_recording import scene_objects

WRITE_BUDGET = 0.05   # s of writing per tick, so the window stays responsive


class BakeJob:
    def __init__(self, ids, names, t0, t1, fps, frame_start, resample, assign, label):
        self.ids, self.names = list(ids), dict(names)
        self.t0 = float(t0)
        self.t1 = float(t1) if t1 is not None else float('inf')   # inf: up to the newest change
        self.last_time = self.t0
        self.fps, self.frame_start = fps, frame_start
        self.resample, self.assign, self.label = resample, assign, label
        self.start = None
        self.data = None
        self.todo = []
        self.actions = []       # names of the actions written
        self.keys = 0
        self.samples = 0
        self.skipped = []       # ids the room holds no history of
        self.done = False
        self.fetched = 0
        self.began = time.perf_counter()
        self.fetched_at = None
        self.finished_at = None

    @property
    def total(self) -> int:
        return max(1, 2 * len(self.ids))


def _progress(H, value) -> None:
    wm = bpy.context.window_manager
    if wm is not None:
        wm.progress_update(value)


def start_bake(H, ids, names, t0, t1, resample=False, assign=False) -> bool:
    from . import history
    if not ids:
        H.error = 'Nothing to bake: select objects that are synced (or untick Selected only).'
        return False
    if t1 is not None and t1 <= t0:
        H.error = 'The range to bake is empty: set its End after its Start.'
        return False
    w = history.worker()
    if w is None:
        return False
    sc = runtime.world.scene() or bpy.context.scene
    fps = sc.render.fps / sc.render.fps_base
    label = f'{H.span.label(t0)}-{H.span.label(t1) if t1 is not None else "now"}'
    to = {'time': t1} if t1 is not None else None
    H.bake = job = BakeJob(ids, names, t0, t1, fps, sc.frame_start, resample, assign, label)
    H.error = ''
    wm = bpy.context.window_manager
    if wm is not None:
        wm.progress_begin(0, job.total)

    def fetch(api, progress):
        start = api.scene({'time': t0})
        at = int(start.get('at') or 0)
        out = {}
        for i, oid in enumerate(job.ids):
            progress(i, len(job.ids))
            try:
                h = api.object_history(oid, {'seq': at + 1}, to)
            except C.HistoryError as e:
                if e.code == 'not_found':
                    out[oid] = None   # an object the room never had (made while offline, say)
                    continue
                raise
            out[oid] = (h.get('points') or [], h.get('bones') or [])
        return scene_objects(start), out
    w.submit('bake', fetch)
    return True


def bake_progress(H, progress) -> None:
    job = H.bake
    job.fetched = progress[0]
    _progress(H, progress[0])


def bake_fetched(H, value) -> None:
    job = H.bake
    if job is None:
        return
    job.start, job.data = value
    job.fetched_at = time.perf_counter()
    job.todo = list(job.ids)
    job.fetched = len(job.ids)
    # Where the range ends: its End, or the newest sample read (a whole-log bake).
    for got in job.data.values():
        for xs in (got or ((), ())):
            for p in xs[-1:]:
                if p['time'] <= job.t1:
                    job.last_time = max(job.last_time, float(p['time']))
    job.t1 = min(job.t1, max(job.last_time, job.t0))


def bake_write(H) -> None:
    """Writes actions for a few objects (WRITE_BUDGET s), then yields to Blender."""
    job = H.bake
    if job is None or job.data is None:
        return
    world = runtime.world
    world.begin()
    t_end = time.perf_counter() + WRITE_BUDGET
    while job.todo and time.perf_counter() < t_end:
        oid = job.todo.pop(0)
        got = job.data.get(oid)
        o = world.obj(oid)
        if got is None or o is None:
            job.skipped.append(oid)
            continue
        points, bones = got
        job.samples += len(points) + len(bones)
        obj_track, bone_tracks = HB.tracks(job.start.get(oid), points, bones, job.t0)
        action, keys = HB.write(o, obj_track, bone_tracks, job.t0, job.t1, job.fps, job.frame_start, job.resample,
                                f'{o.name} {job.label}', job.assign)
        if action is not None:
            job.actions.append(action.name)
            job.keys += keys
        _progress(H, len(job.ids) + len(job.ids) - len(job.todo))
    if not job.todo:
        last = job.frame_start + (job.last_time - job.t0) * job.fps / 1000.0
        msg = (f'Baked {len(job.actions)} action(s), {job.keys:,} keys, frames {job.frame_start}-{last:.0f}'
               + (f'; {len(job.skipped)} object(s) had no history' if job.skipped else '') + '.')
        bake_end(H, msg)


def bake_end(H, message: str) -> None:
    job, H.bake = H.bake, None
    if job is not None:
        job.done = True
        job.finished_at = time.perf_counter()
        H.last_bake = job
    wm = bpy.context.window_manager
    if wm is not None:
        wm.progress_end()
    H.message = message
    runtime.session.changed = True


def cancel_bake(H) -> None:
    if H.bake is not None and H.worker is not None:
        H.worker.cancel('bake')
    bake_end(H, 'Bake cancelled.')


# -- restore ---------------------------------------------------------------------

def start_restore(H, ids) -> bool:
    """Restores ``ids`` (None: the whole scene) to the moment being viewed."""
    from . import history
    s = runtime.session
    capturing = H.preview.capturing if H.preview is not None else s.capturing
    if not s.connected or not capturing:
        H.error = 'Restore needs a connection to the room: Connect, and wait until the status says Synced.'
        return False
    if H.viewed is None and H.moment is None:
        H.error = 'Pick a moment first: drag the slider, or step to a change.'
        return False
    if H.past is not None and H.play is None:
        do_restore(H, H.past, ids, H.viewed)
        return True
    w = history.worker()
    if w is None:
        return False
    moment = dict(H.moment or H.viewed)
    w.submit('restore', lambda api, progress: (moment, ids, api.scene(moment)))
    return True


def restore_fetched(H, value) -> None:
    moment, ids, scene = value
    do_restore(H, scene_objects(scene), ids, {'seq': scene.get('at'), 'time': moment.get('time')})


def do_restore(H, past, ids, moment) -> None:
    from . import history
    if H.preview is not None:
        history.leave()
    s, world = runtime.session, runtime.world
    world.begin()
    res = R.restore(s, world, past, ids)
    when = H.span.label(moment['time']) if moment and moment.get('time') is not None else 'that moment'
    names = lambda oids: [(past[o].name if o in past and past[o].name else o[:8]) for o in oids]  # noqa: E731
    H.message = f'Restored to {when}: {res.summary(names)}.'
    H.last_restore = res
    if res.ops:
        s.undo_push = f'scenesync: restore to {when}'
    s.changed = True
