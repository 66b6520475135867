"""Scene content in Blender: one module per data-block kind (mesh, armature,
curve, material, light, camera) and collections, each with the explicit list
of what it syncs (core/content_settings.py) and, for meshes, armatures and
curves, its geometry in the encoding of core/geometry.py. world.py puts them
behind core/content_world.py's interface; glue.py feeds depsgraph updates in.
"""
import bpy
from bpy.props import StringProperty

from . import armature, camera, curve, light, material, mesh

PROP = 'scenesync_id'
KINDS = {'MESH': mesh, 'ARMATURE': armature, 'CURVE': curve, 'MATERIAL': material, 'LIGHT': light, 'CAMERA': camera}
ID_TYPES = (bpy.types.Mesh, bpy.types.Armature, bpy.types.Curve, bpy.types.Material, bpy.types.Light,
            bpy.types.Camera, bpy.types.Collection)


def kind_of(idb):
    """The data-block kind of an ID, or None for one we do not sync."""
    ident = idb.bl_rna.identifier
    if isinstance(idb, bpy.types.Mesh):
        return 'MESH'
    if isinstance(idb, bpy.types.Armature):
        return 'ARMATURE'
    if ident == 'Curve':  # not TextCurve (FONT) or SurfaceCurve (SURFACE)
        return 'CURVE'
    if isinstance(idb, bpy.types.Material):
        return 'MATERIAL'
    if isinstance(idb, bpy.types.Light):
        return 'LIGHT'
    if isinstance(idb, bpy.types.Camera):
        return 'CAMERA'
    return None


def collections():
    """Where each kind lives in bpy.data."""
    d = bpy.data
    return {'MESH': d.meshes, 'ARMATURE': d.armatures, 'CURVE': d.curves, 'MATERIAL': d.materials,
            'LIGHT': d.lights, 'CAMERA': d.cameras}


def register() -> None:
    # The stable id of a data block or collection, kept in its own data ([B2] for data).
    for t in ID_TYPES:
        t.scenesync_id = StringProperty(name='Scenesync id', options={'HIDDEN'})


def unregister() -> None:
    for t in reversed(ID_TYPES):
        del t.scenesync_id
