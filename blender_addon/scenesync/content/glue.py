"""Depsgraph updates into core/content_sync.py's notes: which objects, data
blocks and collections changed, and whether a data block's geometry did.
Geometry is read later, and only for data blocks outside edit mode."""
import bpy

from . import PROP, kind_of

GEOMETRY = ('MESH', 'ARMATURE', 'CURVE')


def note(cs, depsgraph) -> None:
    for u in depsgraph.updates:
        idb = u.id.original
        if isinstance(idb, bpy.types.Object):
            oid = getattr(idb, PROP)
            if oid:
                cs.note_object(oid)
        elif isinstance(idb, (bpy.types.Scene, bpy.types.Collection)):
            cs.note_structure()
        else:
            kind = kind_of(idb)
            did = getattr(idb, PROP, '') if kind is not None else ''
            if not did:
                continue  # not synced yet: found through its object's links
            if kind in GEOMETRY and getattr(idb, 'is_editmode', False):
                cs.note_edit(did)
            else:
                cs.note_data(did, u.is_updated_geometry and kind in GEOMETRY)
