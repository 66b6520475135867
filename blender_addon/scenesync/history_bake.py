"""Baking a range of the history to keyframes: one new action per object, with
keys at the log's sample times mapped onto the scene's frame rate (or on whole
frames, when resampling), constant interpolation, pose bones included ([H1]).

An existing action is never written to: each bake makes new ones (Blender
gives a taken name a .001 suffix), kept with a fake user so saving keeps them
whether or not they are assigned. Keys go in through foreach_set on flat
arrays, one call per F-curve, so a bake is linear in its samples ([H2]).
"""
import bpy

from .core import history_sampler as S
from .core import xform as X

CONSTANT = 0  # the index of 'CONSTANT' in Keyframe.interpolation's items
OBJECT_GROUP = 'Object Transforms'


def tracks(start, points, bones, t0: float):
    """The object's track and its bones' tracks from the start scene's entry
    (``start``: PastObject or None) and the history route's points."""
    obj = S.Track()
    if start is not None and start.xform is not None:
        obj.add(t0, start.xform)
    for p in points:
        if p.get('deleted'):
            continue
        xf = X.from_json(p.get('xform'))
        if xf is not None and p['time'] >= t0:
            obj.add(float(p['time']), xf)
    bt = {}
    if start is not None:
        for name, xf in (start.pose or {}).items():
            bt.setdefault(name, S.Track()).add(t0, xf)
    for b in bones:
        if b.get('deleted'):
            continue
        xf = X.from_json(b.get('xform'))
        if xf is not None and b['time'] >= t0:
            bt.setdefault(b['bone'], S.Track()).add(float(b['time']), xf)
    return obj, bt


def _fill(action, data: dict, group: str) -> int:
    n = 0
    for (path, index), flat in data.items():
        fc = action.fcurves.new(path, index=index, action_group=group)
        k = len(flat) // 2
        fc.keyframe_points.add(k)
        fc.keyframe_points.foreach_set('co', flat)
        fc.keyframe_points.foreach_set('interpolation', [CONSTANT] * k)
        fc.update()
        n += k
    return n


def write(o, obj_track, bone_tracks, t0, t1, fps, frame_start, resample, name, assign=False):
    """One new action for object ``o``; returns (action, keys written), or
    (None, 0) when the range holds nothing for it."""
    curves = S.curves(S.bake_keys(obj_track, t0, t1, fps, frame_start, resample))
    per_bone = {}
    if o.type == 'ARMATURE' and o.pose is not None:
        for bone, tr in bone_tracks.items():
            if o.pose.bones.get(bone) is None:
                continue  # a bone this armature does not have
            per_bone[bone] = S.curves(S.bake_keys(tr, t0, t1, fps, frame_start, resample), S.bone_prefix(bone))
    if not curves and not any(per_bone.values()):
        return None, 0
    action = bpy.data.actions.new(name[:63])
    action.id_root = 'OBJECT'
    action.use_fake_user = True
    keys = _fill(action, curves, OBJECT_GROUP)
    for bone, c in per_bone.items():
        keys += _fill(action, c, bone)
    if assign:
        if o.animation_data is None:
            o.animation_data_create()
        old = o.animation_data.action
        if old is not None:
            old.use_fake_user = True  # no longer assigned, still kept
        o.animation_data.action = action
    return action, keys
