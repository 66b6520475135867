"""The add-on's logic without Blender: nothing under core/ imports bpy, so all of
it runs under plain python3 and is unit-tested there (blender_addon/tests)."""
