"""Playing a range of the history at 0.25x to 8x real time, inside a preview
(so nothing is sent, [B5]). The range is read once (the scene at its start
and its samples, core/history_recording.py); each timer tick then shows the
scene at the playback clock, blended between real samples only for display.
When it reaches the end it stops there and shows that moment exactly.
"""
import time

from . import history_geometry as HG
from . import history_preview as HP
from .core.history_recording import Recording, scene_objects

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
MAX_SAMPLES = 500_000


class Playback:
    def __init__(self, t0: float, t1, speed: float):
        self.t0 = float(t0)
        self.t1 = float(t1) if t1 is not None else None   # None until loaded: up to the newest change
        self.speed = speed
        self.rec = None
        self.wall0 = None
        self.t = self.t0
        self.frames = 0          # ticks that showed a frame (tests read it)
        self.loaded_samples = 0

    @property
    def loading(self) -> bool:
        return self.rec is None


def start(H, t0: float, t1, speed: float) -> bool:
    from . import history
    if t1 is not None and t1 <= t0:
        H.error = 'The range to play is empty: set its End after its Start.'
        return False
    w = history.worker()
    if w is None:
        return False
    if H.preview is None:
        why = HP.can_enter()
        if why:
            H.error = why
            return False
        H.preview = HP.enter()
    else:
        # Playback moves objects, not meshes: each shows its own again.
        H.preview.geometry_need = {}
        HG.apply(H.preview, {})
    H.error = ''
    H.play = Playback(t0, t1, speed)
    H.past = None

    def job(api, progress):
        sc = api.scene({'time': t0})
        at = int(sc.get('at') or 0)
        rec = Recording(scene_objects(sc), t0, t1 if t1 is not None else float('inf'))
        rows = api.samples_csv({'seq': at + 1}, {'time': t1} if t1 is not None else None, MAX_SAMPLES,
                               check=lambda: progress(0, 1))
        rec.add_rows(rows)
        return rec
    w.submit('play', job)
    return True


def ready(H, rec) -> None:
    p = H.play
    if p is None:
        return
    p.rec = rec
    p.loaded_samples = rec.samples
    if p.t1 is None:
        p.t1 = max(rec.last, p.t0 + 1.0)
    p.wall0 = time.monotonic()


def set_speed(H, speed: float) -> None:
    p = H.play
    if p is None or p.wall0 is None:
        if p is not None:
            p.speed = speed
        return
    # The clock goes on from where it is, at the new rate.
    now = time.monotonic()
    p.wall0 = now - (p.t - p.t0) / (1000.0 * speed)
    p.speed = speed


def advance(H) -> None:
    from . import history
    p = H.play
    if p is None or p.rec is None or H.preview is None:
        return
    t = p.t0 + (time.monotonic() - p.wall0) * 1000.0 * p.speed
    done = t >= p.t1
    p.t = min(t, p.t1)
    HP.show(H.preview, p.rec.state_at(p.t))
    p.frames += 1
    history.set_slider(H.span.factor(p.t))
    H.viewed = {'seq': None, 'time': p.t}
    if done:
        stop(H)


def stop(H) -> None:
    """Stops where it is and shows that moment exactly (the log's values there)."""
    from . import history
    p, H.play = H.play, None
    if p is not None:
        H.last_play = p
    if p is not None and H.preview is not None:
        history.view({'time': round(p.t)})
