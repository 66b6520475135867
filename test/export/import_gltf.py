"""Imports an export with Blender's own glTF importer and reads the animation back.

Run by gltf-blender.e2e.test.ts as
    blender -b --factory-startup --python import_gltf.py -- FILE.glb EXPECTED.json OUT.json FPS

For every probe in EXPECTED.json (an object or bone by its id extras, a time in
seconds, and the value recorded in the log in Blender's own form: rotation
mode, location, rotation, scale), it moves the scene to that time (frames and
subframes at FPS) and reports the imported object's local transform, the
recorded rotation turned into a quaternion by mathutils (Blender's conversion,
not ours), and the angle between the two.
"""
import json
import math
import sys

import bpy
from mathutils import Euler, Quaternion, Vector

glb, expected_path, out_path, fps = sys.argv[sys.argv.index('--') + 1:]
fps = int(fps)

# Blender 3.4's importer still uses np.bool, which numpy 1.24 (Debian 12's) removed;
# 3.5 fixed it (KhronosGroup/glTF-Blender-IO#1831, not backported). Without the alias
# it fails on any mesh, whatever file it reads; docs/export.md tells users the same.
import numpy
if not hasattr(numpy, 'bool'):
    numpy.bool = bool

bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.render.fps = fps
scene.render.fps_base = 1.0
bpy.ops.import_scene.gltf(filepath=glb)

with open(expected_path) as f:
    probes = json.load(f)


def find(object_id, bone):
    for o in bpy.data.objects:
        if o.get('scenesync_object_id') == object_id and o.get('scenesync_bone') == bone:
            return o
    raise KeyError(f'no imported object for {object_id} {bone}')


def recorded_quaternion(mode, r):
    if mode == 'QUATERNION':
        return Quaternion(r).normalized()
    if mode == 'AXIS_ANGLE':
        return Quaternion(Vector(r[1:]).normalized(), r[0])
    return Euler(r, mode).to_quaternion()


out = {'probes': [], 'objects': {}}
for p in probes:
    o = find(p['id'], p['bone'])
    frame = p['t'] * fps
    whole = math.floor(frame)
    scene.frame_set(whole, subframe=frame - whole)
    loc, rot, scale = o.matrix_basis.decompose()
    want = recorded_quaternion(p['mode'], p['rotation'])
    out['probes'].append({
        'key': p['key'],
        'location': list(loc),
        'scale': list(scale),
        'rotation_error': rot.rotation_difference(want).angle,
    })

for o in bpy.data.objects:
    oid = o.get('scenesync_object_id')
    if oid is None:
        continue
    fcurves = o.animation_data.action.fcurves if o.animation_data and o.animation_data.action else []
    out['objects'][oid + '/' + (o.get('scenesync_bone') or '')] = {
        'name': o.name,
        'type': o.type,
        'parent': o.parent.get('scenesync_object_id') if o.parent else None,
        'vertices': [list(v.co) for v in o.data.vertices] if o.type == 'MESH' else None,
        'interpolations': sorted({k.interpolation for fc in fcurves for k in fc.keyframe_points}),
    }

with open(out_path, 'w') as f:
    json.dump(out, f)
