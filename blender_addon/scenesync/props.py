"""Preferences and the properties the add-on adds to Blender's types."""
import getpass

import bpy
from bpy.props import BoolProperty, CollectionProperty, FloatVectorProperty, StringProperty


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some sandboxes and services
        return 'blender'


class ScenesyncPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    server_url: StringProperty(name='Server', default='ws://127.0.0.1:1234',
                               description='WebSocket address of the scenesync server')
    room: StringProperty(name='Room', default='studio', description='One room is one shared scene')
    token: StringProperty(name='Token', subtype='PASSWORD',
                          description='Access token (scenesync token ...); empty for a local server without auth')
    display_name: StringProperty(name='Display name', default=_user(), description='How others see you')
    node_executable: StringProperty(name='Node.js executable', default='', subtype='FILE_PATH',
                                    description='Node.js 20 or later, which runs the agent inside this add-on; '
                                                'empty: found on PATH or where installers put it')
    agent_command: StringProperty(name='Agent command', default='',
                                  description='Advanced: run this command as the agent instead of the one inside the add-on '
                                              '(split like a shell command line; --url, --room and --name are appended)')
    sync_while_editing: BoolProperty(
        name='Sync while editing', default=False, update=lambda self, ctx: _sync_while_editing(self),
        description='Send mesh edits every half second while in edit mode, not only when leaving it')

    def draw(self, context):
        col = self.layout.column()
        for p in ('server_url', 'room', 'token', 'display_name', 'node_executable', 'sync_while_editing'):
            col.prop(self, p)
        adv = col.column()
        adv.separator()
        adv.prop(self, 'agent_command')


def _sync_while_editing(p) -> None:
    from . import runtime
    runtime.session.content.sync_while_editing = bool(p.sync_while_editing)


class ScenesyncPeer(bpy.types.PropertyGroup):
    """One other user, as shown in the panel (rebuilt whenever presence changes)."""
    color: FloatVectorProperty(name='Color', subtype='COLOR', size=3, min=0.0, max=1.0)
    selection: StringProperty(name='Selection')


def prefs(context=None):
    ctx = context or bpy.context
    addon = ctx.preferences.addons.get(__package__)
    return addon.preferences if addon else None


CLASSES = (ScenesyncPreferences, ScenesyncPeer)


def register() -> None:
    for c in CLASSES:
        bpy.utils.register_class(c)
    # The stable id ([B2]): kept in the object's own data, so it survives rename,
    # undo, save and reload; not animatable, not shown as a custom property.
    bpy.types.Object.scenesync_id = StringProperty(name='Scenesync id', options={'HIDDEN'})
    bpy.types.Scene.scenesync_base = StringProperty(name='Scenesync synced state', options={'HIDDEN'})
    # The synced scene's own id ([B4]): the session stays on this scene whichever
    # one the window shows; it also names the scene's journal (docs/agent-protocol.md).
    bpy.types.Scene.scenesync_scene_id = StringProperty(name='Scenesync scene id', options={'HIDDEN'})
    bpy.types.WindowManager.scenesync_peers = CollectionProperty(type=ScenesyncPeer)


def unregister() -> None:
    del bpy.types.WindowManager.scenesync_peers
    del bpy.types.Scene.scenesync_scene_id
    del bpy.types.Scene.scenesync_base
    del bpy.types.Object.scenesync_id
    for c in reversed(CLASSES):
        bpy.utils.unregister_class(c)
