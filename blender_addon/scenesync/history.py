"""The History panel's state and its timer: the room's timeline, the moment
being viewed, and the jobs that read the server (core/history_client.py).

Everything here runs on Blender's main thread. Requests go to the worker
thread; ``tick`` (from this module's own timer, and from runtime.pump, which
headless scripts call) drains their results, shows previews, advances
playback and writes bakes a chunk at a time. runtime.py calls the hooks at
the bottom (``previewing``, ``hold``, ``after_undo``, ...): while a preview
lasts the session captures nothing and its agent messages are held ([B5]).
"""
import sys
import time

import bpy

from . import history_geometry as HG
from . import history_preview as HP
from . import history_scene as HS
from . import runtime
from .core import history_client as C
from .core.history_recording import scene_objects
from .core.history_timeline import Entries, Span, describe
from .props import prefs

SUMMARY_BUCKETS = 200
TAIL_EVERY = 3.0           # s between refreshes of the newest entries while the panel shows
LAST = 2 ** 53 - 1         # 'before' this position: the newest page


class State:
    def __init__(self):
        self.worker = None
        self.key = None            # (http base, room, token) the worker reads
        self.span = Span()
        self.entries = Entries()
        self.loaded = False
        self.error = ''
        self.message = ''
        self.moment = None         # the moment asked for: {'time': ms} or {'seq', 'time'}
        self.viewed = None         # {'seq', 'time'} of the moment Blender shows
        self.past = None           # id -> PastObject at ``viewed`` (exact: what a restore writes)
        self.past_scene = None     # the server's answer for ``viewed`` (data blocks too)
        self.preview = None        # history_preview.PreviewState while previewing
        self.play = None           # history_play.Playback
        self.bake = None           # history_jobs.BakeJob
        self.range = [None, None]  # ms; None: the log's first / last entry
        self.drawn_at = 0.0
        self.tail_at = 0.0
        self.previews_shown = 0    # benchmarks and tests read these
        self.last_shown_at = 0.0
        self.setting_slider = False
        self.requested_at = 0.0
        self.held_over_load = None
        self.last_bake = None      # the last finished history_jobs.BakeJob
        self.last_play = None      # the last history_play.Playback that ran
        self.last_restore = None   # core RestoreResult of the last restore
        self.last_timing = {}      # the last preview: fetch and write times (benchmarks)


H = State()


def target():
    """(ws url, room, token) the history is read from: the session's while connected."""
    s = runtime.session
    p = prefs()
    token = p.token if p is not None else ''
    if s.connected and s.target:
        return s.target[0], s.target[1], token
    if p is None:
        return None
    return p.server_url, p.room, token


def worker():
    """The worker for the current server and room (a new one when they changed)."""
    t = target()
    if t is None:
        H.error = 'The add-on preferences are missing (is the add-on enabled?).'
        return None
    try:
        key = (C.http_base(t[0]), t[1], t[2])
    except C.HistoryError as e:
        H.error = str(e)
        return None
    if key != H.key:
        if H.preview is not None:
            leave()
        if H.worker is not None:
            H.worker.close()
        H.worker, H.key = C.Worker(C.HistoryApi(*key)), key
        H.span, H.entries, H.loaded = Span(), Entries(), False
        H.moment = H.viewed = H.past = None
        H.range = [None, None]
    return H.worker


def load() -> bool:
    """Fetches the room's span and markers, and its newest entries."""
    w = worker()
    if w is None:
        return False
    H.error = ''
    w.submit('summary', lambda api, progress: api.summary(SUMMARY_BUCKETS))
    w.submit('tail', lambda api, progress: api.timeline(before=LAST, limit=8))
    return True


# -- previewing ----------------------------------------------------------------

def previewing() -> bool:
    return H.preview is not None


def view(moment) -> bool:
    """Shows the scene at ``moment`` (entering the preview if needed)."""
    w = worker()
    if w is None:
        return False
    if H.preview is None:
        why = HP.can_enter()
        if why:
            H.error = why
            return False
        H.preview = HP.enter()
    if H.play is not None:
        # A moment picked while playing: playback stops there.
        H.last_play, H.play = H.play, None
    H.error = ''
    H.moment = dict(moment)
    H.requested_at = time.perf_counter()
    m = H.moment

    def fetch(api, progress):
        t = time.perf_counter()
        scene = api.scene(m)
        return m, scene, (time.perf_counter() - t) * 1000
    w.submit('scene', fetch)
    return True


def view_factor(f: float) -> bool:
    if H.span.empty:
        return False
    return view({'time': H.span.time_at(f)})


def step(direction: int) -> bool:
    """To the previous or next log entry from the one shown."""
    if H.viewed is None:
        last = H.span.last
        return view(last) if last and direction < 0 else False
    seq = H.viewed.get('seq')
    if seq is None:
        # Playback shows times between entries: step from the entry shown then.
        e0 = H.entries.at_or_before_time(H.viewed['time'])
        seq = e0['seq'] if e0 is not None else 0
    if direction < 0:
        cur = H.entries.at_or_before(seq)
        e = H.entries.before(cur['seq']) if cur is not None else None
    else:
        e = H.entries.after(seq)
    if e is None:
        H.message = 'No earlier change in the room.' if direction < 0 else 'No later change in the room.'
        return False
    return view({'seq': e['seq'], 'time': e['time']})


def leave(replay: bool = True) -> None:
    """Back to the live scene, with everything that arrived meanwhile."""
    if H.play is not None:
        H.last_play, H.play = H.play, None
    st, H.preview = H.preview, None
    if st is None:
        return
    out = HP.leave(st, replay)
    H.viewed = H.past = None
    H.moment = None
    if out['brought_back']:
        H.message = f'Back to the live scene ({len(out["brought_back"])} object(s) deleted during the preview are back).'
    runtime._push_undo('scenesync: back to the live scene')
    set_slider(1.0)


def _shown(moment, scene: dict, fetch_ms: float) -> None:
    if H.preview is None or moment != H.moment:
        return
    if H.play is not None:
        return
    t = time.perf_counter()
    past = scene_objects(scene)
    written = HP.show(H.preview, past)
    H.last_timing = {'fetch_ms': fetch_ms, 'apply_ms': (time.perf_counter() - t) * 1000, 'written': written}
    seq = int(scene.get('at') or 0)
    e = H.entries.at_or_before(seq)
    H.viewed = {'seq': seq, 'time': moment.get('time', e['time'] if e else None)}
    H.past = past
    H.past_scene = scene
    H.previews_shown += 1
    H.last_shown_at = time.perf_counter()
    if 'seq' in moment:
        set_slider(H.span.factor(moment['time']))
    _geometry(moment, scene, past)
    H.worker.submit('entries', lambda api, progress: (api.timeline(before=seq + 1, limit=6), api.timeline(after=seq, limit=3)))
    runtime.session.changed = True


def _geometry(moment, scene: dict, past: dict) -> None:
    """Meshes as they were at the moment ([D4]): those built already now, the
    others once the worker has read them."""
    st = H.preview
    st.geometry_need = HG.wanted(st, scene)
    missing = HG.apply(st, st.geometry_need)
    if not missing:
        return
    names = {oid: (past[oid].name if oid in past and past[oid].name else 'Mesh') for oid in missing}

    def fetch(api, progress):
        got = {}
        for oid, (did, seq, h) in missing.items():
            if h not in got:
                got[h] = (names[oid], api.data_geometry(did, seq), did)
        return moment, got
    H.worker.submit('geometry', fetch)


def _geometry_fetched(value) -> None:
    moment, got = value
    if H.preview is None or H.play is not None or moment != H.moment:
        return
    HG.build(got)
    HG.apply(H.preview, H.preview.geometry_need)


def set_slider(f: float) -> None:
    wm = bpy.context.window_manager
    props = getattr(wm, 'scenesync_history', None) if wm is not None else None
    if props is None:
        return
    H.setting_slider = True
    try:
        props.position = f
    finally:
        H.setting_slider = False


# -- the timer -------------------------------------------------------------------

def tick():
    """Drains the worker's results and moves playback and bakes on."""
    try:
        _tick()
    except Exception:
        runtime._report('history')
    if H.play is not None:
        return 1 / 60
    return 0.02 if (H.preview is not None or H.bake is not None) else 0.25


def _tick() -> None:
    from . import history_jobs, history_play
    w = H.worker
    if w is not None:
        for r in w.poll():
            if not r.ok:
                _failed(r)
                continue
            if r.progress is not None:
                if r.slot == 'bake' and H.bake is not None:
                    history_jobs.bake_progress(H, r.progress)
                continue
            if r.slot == 'summary':
                H.span = Span.from_summary(r.value)
                H.loaded = True
            elif r.slot in ('tail', 'entries'):
                for page in (r.value if isinstance(r.value, tuple) else (r.value,)):
                    H.span.grow(page.get('first'), page.get('last'))
                    H.entries.add(page.get('entries'))
            elif r.slot == 'scene':
                _shown(*r.value)
            elif r.slot == 'geometry':
                _geometry_fetched(r.value)
            elif r.slot == 'play':
                history_play.ready(H, r.value)
            elif r.slot == 'bake':
                history_jobs.bake_fetched(H, r.value)
            elif r.slot == 'restore':
                history_jobs.restore_fetched(H, r.value)
            runtime.session.changed = True
    if H.play is not None:
        history_play.advance(H)
    if H.bake is not None:
        history_jobs.bake_write(H)
    if H.preview is not None and H.preview.push_due and H.play is None and H.viewed is not None:
        H.preview.push_due = False
        runtime._push_undo('scenesync: viewing history')
    if H.preview is not None and H.preview.hold.agent_exited:
        leave()
    now = time.monotonic()
    if w is not None and H.loaded and H.preview is None and now - H.drawn_at < 1.0 and now - H.tail_at > TAIL_EVERY:
        H.tail_at = now
        w.submit('tail', lambda api, progress: api.timeline(before=LAST, limit=8))


def _failed(r) -> None:
    from . import history_jobs
    H.error = r.error
    if r.slot == 'bake' and H.bake is not None:
        history_jobs.bake_end(H, f'Bake stopped: {r.error}')
    if r.slot == 'play':
        H.play = None
    runtime.session.changed = True
    runtime.session.log(f'history: {r.error}')


def entry_text(e) -> str:
    return f'{H.span.label(e["time"])} {e.get("user") or "?"} {describe(e)}'


# -- hooks runtime.py calls ------------------------------------------------------

def holding() -> bool:
    return H.preview is not None


def hold(session) -> None:
    H.preview.hold.take(session)


def after_undo() -> bool:
    """Called after every undo and redo; True when it handled the state (the
    session's own undo handling must then not run)."""
    if H.preview is not None:
        HP.after_undo(H.preview, H.past)
        if H.past is not None and H.moment is not None and H.past_scene is not None and H.play is None:
            _geometry(H.moment, H.past_scene, H.past)
        return True
    runtime.world.begin()
    sc = runtime.world.scene()
    if HS.marked(sc):
        # An undo step from during a preview: it holds past values. Show the room's.
        HS.reset_to_base(runtime.session, runtime.world)
        runtime.world.forget_pointers()
    return False


def before_load() -> None:
    """Another file replaces this one: the preview ends without writing back."""
    if H.preview is not None:
        H.play = None
        H.held_over_load = H.preview.hold
        H.preview = None
        runtime.session.capturing = False
        H.viewed = H.past = H.moment = None


def after_load() -> None:
    runtime.world.begin()
    sc = runtime.world.scene()
    if HS.marked(sc):
        HS.reset_to_base(runtime.session, runtime.world)
        runtime.world.forget_pointers()
    HG.tidy()
    held, H.held_over_load = H.held_over_load, None
    if held is not None and runtime.session.connected:
        # What arrived during the preview still counts (a delete above all).
        held.replay(runtime.session, runtime.world)


def before_save() -> None:
    """The file holds the live scene: saving ends a preview first."""
    if H.preview is not None:
        leave()
        H.message = 'Saving ended the preview: the file holds the live scene.'


def _timer():
    return tick()


def register() -> None:
    runtime.history = sys.modules[__name__]
    bpy.app.timers.register(_timer, first_interval=0.25, persistent=True)


def unregister() -> None:
    if bpy.app.timers.is_registered(_timer):
        bpy.app.timers.unregister(_timer)
    if H.preview is not None:
        leave(replay=False)
    if H.worker is not None:
        H.worker.close()
        H.worker = None
    H.key = None
    runtime.history = None
