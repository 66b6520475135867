"""What the session needs from Blender, as an interface.

The session (core/session.py) decides what to send and what to apply; a World
reads and writes the scene. The add-on's BlenderWorld implements it with bpy;
the unit tests implement it with dicts. Objects are always named by their
stable id (never by their Blender name).
"""
from __future__ import annotations


class Snap:
    """One object's synced fields as Blender holds them now (pose is separate:
    only armatures have one, and reading it costs a pass over the bones)."""

    __slots__ = ('name', 'type', 'parent', 'visible', 'xform')

    def __init__(self, name: str, type: str, parent, visible: bool, xform):
        self.name = name
        self.type = type
        self.parent = parent
        self.visible = visible
        self.xform = xform

    def __repr__(self):
        return f'Snap({self.name!r}, {self.type}, parent={self.parent}, visible={self.visible}, {self.xform})'


class World:
    """Scene access for the session. Every method names objects by id."""

    def scan(self) -> dict:
        """id -> visible for every synced object in the scene. Also gives objects
        that have no id yet (new ones) or a copied id (duplicates, [B2]) a new id."""
        raise NotImplementedError

    def structure_changes(self, base) -> tuple:
        """After a Scene or Collection update: (ids of ``base`` whose object left
        the scene, id -> visible for objects to compare: those whose visibility
        may have changed, and new ones, already given an id). This default
        compares everything; the add-on looks only at what may have changed."""
        ids = self.scan()
        return [oid for oid in base if oid not in ids], ids

    def census(self):
        """(ids present, [(key, Evidence)] of objects without an id), stamping
        nothing; a key is valid until the next ``assign`` or ``scan``."""
        raise NotImplementedError

    def assign(self, key, oid: str) -> None:
        """Gives the id-less object ``key`` (from ``census``) the id ``oid``."""
        raise NotImplementedError

    def xform(self, oid: str):
        """The object's transform alone (cheaper than a snapshot), or None."""
        raise NotImplementedError

    def snapshot(self, oid: str):
        """The object's Snap, or None if there is no such object."""
        raise NotImplementedError

    def pose(self, oid: str, names=None):
        """bone name -> xform for an armature, None for any other object;
        ``names``: only those bones (the ones it has)."""
        raise NotImplementedError

    def pose_if_changed(self, oid: str, token):
        """Like ``pose``, but None when neither Blender's pose nor ``token`` (the
        caller's, for what it compares with) changed since the last call that
        returned one, counting the world's own writes (``set_bones``) as seen."""
        return self.pose(oid)

    def create(self, oid: str, name: str, type) -> bool:
        """Creates the object (as ``type`` when it can, else as an empty)."""
        raise NotImplementedError

    def delete(self, oid: str) -> None:
        raise NotImplementedError

    def set_name(self, oid: str, name: str) -> str:
        """Renames; returns the name Blender actually gave (it may add .001)."""
        raise NotImplementedError

    def set_parent(self, oid: str, parent) -> bool:
        """Returns False when the parent does not exist (yet)."""
        raise NotImplementedError

    def set_visible(self, oid: str, visible: bool) -> None:
        raise NotImplementedError

    def set_xform(self, oid: str, xf):
        """Sets the local transform; returns it as read back from Blender."""
        raise NotImplementedError

    def set_bones(self, oid: str, bones: dict) -> dict:
        """Sets pose bones; returns bone -> read-back xform for the bones that exist."""
        raise NotImplementedError
