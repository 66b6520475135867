"""What the content sync (core/content_sync.py) needs from Blender, as an
interface: data blocks (meshes, armatures, curves, materials, lights, cameras)
by their stable id, objects' links to them, collections and the active camera.

The add-on's BlenderContent (content/world.py) implements it with bpy; the
unit tests with dicts. Data blocks and collections are named by the UUID kept
in their own custom property, never by name.
"""
from __future__ import annotations

#: Scene-collection id in an object's collection list.
SCENE_COLLECTION = '@scene'

#: Object types whose data the add-on builds; others arrive as empties.
BUILDABLE = {'MESH': 'MESH', 'ARMATURE': 'ARMATURE', 'CURVE': 'CURVE', 'LIGHT': 'LIGHT', 'CAMERA': 'CAMERA'}

#: Why an object type cannot be built yet (shown in the panel).
UNSUPPORTED = {
    'FONT': 'text objects are not synced yet',
    'SURFACE': 'NURBS surfaces are not synced yet',
    'META': 'metaballs are not synced yet',
    'LATTICE': 'lattices are not synced yet',
    'GPENCIL': 'grease pencil is not synced yet',
    'VOLUME': 'volumes are not synced yet',
    'POINTCLOUD': 'point clouds are not synced yet',
    'CURVES': 'hair curves are not synced yet',
    'SPEAKER': 'speakers are not synced yet',
    'LIGHT_PROBE': 'light probes are not synced yet',
}


class ContentWorld:
    def begin(self) -> None:
        """Starts a main-thread call: references to Blender data are valid only within one."""

    def scan_data(self) -> dict:
        """data id -> kind for every data block the synced objects use (their data
        and their slots' materials). Gives data blocks without an id, or with a
        copied one (a full duplicate), an id of their own."""
        raise NotImplementedError

    def read_data(self, did):
        """(kind, name, settings) of a data block, or None if there is none."""
        raise NotImplementedError

    def read_geometry(self, did):
        """The data block's geometry, encoded (core/geometry.py), or None."""
        raise NotImplementedError

    def is_editing(self, did) -> bool:
        """Whether someone is in edit mode on this data block here."""
        raise NotImplementedError

    def flush_edit(self, did) -> None:
        """Writes edit-mode changes into the data block (sync while editing)."""
        raise NotImplementedError

    def create_data(self, did, kind, name) -> bool:
        raise NotImplementedError

    def write_data(self, did, name, settings) -> dict:
        """Applies the name and settings; returns the settings as read back."""
        raise NotImplementedError

    def write_geometry(self, did, kind, data) -> bool:
        """Builds the data block's geometry from encoded bytes; False when it must
        wait (bones need an object of the armature to enter edit mode)."""
        raise NotImplementedError

    def object_refs(self, oid):
        """(data id or None, [material id or None per slot], [collection ids]) or None."""
        raise NotImplementedError

    def object_type(self, oid):
        raise NotImplementedError

    def set_object_data(self, oid, did, drop_old=False) -> bool:
        """``drop_old``: the data block it had is not the doc's (the empty one it was
        created with): remove it once nobody uses it."""
        raise NotImplementedError

    def set_object_materials(self, oid, materials) -> None:
        raise NotImplementedError

    def set_object_collections(self, oid, collections) -> None:
        raise NotImplementedError

    def scan_collections(self) -> dict:
        """collection id -> {'name', 'parent', 'flags': {flag: bool}} of the scene's tree."""
        raise NotImplementedError

    def collection_is_empty(self, cid) -> bool:
        """No object and no other collection anywhere under it."""
        raise NotImplementedError

    def write_collection(self, cid, state) -> None:
        raise NotImplementedError

    def delete_collection(self, cid) -> None:
        raise NotImplementedError

    def camera(self):
        """The object id of the scene's active camera, or None."""
        raise NotImplementedError

    def set_camera(self, oid) -> bool:
        raise NotImplementedError
