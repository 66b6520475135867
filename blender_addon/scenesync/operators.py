"""Connect and Disconnect, as operators so they can sit on buttons and in search."""
import bpy

from . import runtime
from .props import prefs


class SCENESYNC_OT_connect(bpy.types.Operator):
    bl_idname = 'scenesync.connect'
    bl_label = 'Connect'
    bl_description = 'Start the agent and join the room set in the add-on preferences'
    bl_options = set()  # connecting is not an edit: no undo step

    def execute(self, context):
        p = prefs(context)
        if p is None:
            self.report({'ERROR'}, 'scenesync preferences are missing (is the add-on enabled?)')
            return {'CANCELLED'}
        if not runtime.connect(p.server_url, p.room, p.display_name, p.token, p.agent_command, p.node_executable):
            # The panel shows the whole message, wrapped, with a Copy button.
            self.report({'ERROR'}, runtime.session.error)
            return {'CANCELLED'}
        return {'FINISHED'}


class SCENESYNC_OT_disconnect(bpy.types.Operator):
    bl_idname = 'scenesync.disconnect'
    bl_label = 'Disconnect'
    bl_description = 'Stop the agent; edits made meanwhile are merged on the next connect'
    bl_options = set()

    def execute(self, context):
        runtime.disconnect()
        runtime.pump()
        return {'FINISHED'}


class SCENESYNC_OT_copy_message(bpy.types.Operator):
    bl_idname = 'scenesync.copy_message'
    bl_label = 'Copy message'
    bl_description = 'Copy the whole message to the clipboard (to paste into a bug report or a chat)'
    bl_options = {'INTERNAL'}

    text: bpy.props.StringProperty(options={'SKIP_SAVE'})

    def execute(self, context):
        context.window_manager.clipboard = self.text
        self.report({'INFO'}, 'Copied')
        return {'FINISHED'}


CLASSES = (SCENESYNC_OT_connect, SCENESYNC_OT_disconnect, SCENESYNC_OT_copy_message)

# Blender's own helper: registers in order, unregisters in reverse.
register, unregister = bpy.utils.register_classes_factory(CLASSES)
