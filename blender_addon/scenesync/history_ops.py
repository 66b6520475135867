"""The History panel's buttons, as operators (so they are in search and undo
knows them), its properties, and Copy id for the Object properties."""
import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty

from . import history, history_jobs, history_play, runtime
from .blender_world import PROP
from .history_scene import GHOST

H = history.H


def _moved(self, context):
    if not H.setting_slider:
        history.view_factor(self.position)


def _speed(self, context):
    history_play.set_speed(H, float(self.speed))


class ScenesyncHistory(bpy.types.PropertyGroup):
    position: FloatProperty(name='Moment', subtype='FACTOR', min=0.0, max=1.0, default=1.0, precision=4, update=_moved,
                            description='Drag to see the scene as it was at that moment (nothing you do then is sent)')
    speed: EnumProperty(name='Speed', default='1.0', update=_speed,
                        items=[(str(v), f'{v:g}\u00d7', f'Play at {v:g} times real time') for v in history_play.SPEEDS])
    selected_only: BoolProperty(name='Selected only', default=True,
                                description='Bake (or restore) only the selected objects; otherwise every synced object')
    resample: BoolProperty(name='Key every frame', default=False,
                           description='Keys on whole frames, each holding the latest recorded value at or before it; '
                                       'otherwise a key at every recorded change (on sub-frames)')
    assign: BoolProperty(name='Assign to objects', default=False,
                         description='Make the baked actions the objects\' active actions. While connected, playing '
                                     'the animation then moves the objects for everyone')


def _chosen(context, selected_only: bool):
    """(ids, id -> name) of the objects to bake or restore: the selection (ghosts
    of deleted objects included) or every synced object of the synced scene."""
    runtime.world.begin()
    sc = runtime.world.scene() or context.scene
    objs = [o for o in sc.objects if o.select_get()] if selected_only else list(sc.objects)
    ids, names = [], {}
    for o in objs:
        oid = getattr(o, PROP) or o.get(GHOST)
        if oid and oid not in names:
            ids.append(oid)
            names[oid] = o.name
    return ids, names


class _Op(bpy.types.Operator):
    bl_options = set()   # reading the past is not an edit: no undo step of its own

    def done(self, ok: bool):
        if not ok and H.error:
            self.report({'ERROR'}, H.error)
        return {'FINISHED'} if ok else {'CANCELLED'}


class SCENESYNC_OT_history_load(_Op):
    bl_idname = 'scenesync.history_load'
    bl_label = 'Load history'
    bl_description = "Read the room's timeline from the server (a summary and the newest changes)"

    def execute(self, context):
        return self.done(history.load())


class SCENESYNC_OT_history_step(_Op):
    bl_idname = 'scenesync.history_step'
    bl_label = 'Step'
    bl_description = 'Show the scene at the previous or next change in the log'
    direction: IntProperty(default=-1, options={'SKIP_SAVE'})

    def execute(self, context):
        return self.done(history.step(self.direction))


class SCENESYNC_OT_history_jump(_Op):
    bl_idname = 'scenesync.history_jump'
    bl_label = 'Show this moment'
    bl_description = 'Show the scene as it was at this moment (nothing you do then is sent)'
    seq: IntProperty(default=0, options={'SKIP_SAVE'})
    time: FloatProperty(default=0.0, options={'SKIP_SAVE'})   # a factor of the span when seq is 0

    def execute(self, context):
        if self.seq:
            e = H.entries.at_or_before(self.seq)
            return self.done(history.view({'seq': self.seq, 'time': e['time'] if e else H.span.end}))
        return self.done(history.view_factor(self.time))


class SCENESYNC_OT_history_live(_Op):
    bl_idname = 'scenesync.history_live'
    bl_label = 'Back to live'
    bl_description = 'Leave the preview: the live scene comes back, with every change that arrived meanwhile'

    def execute(self, context):
        history.leave()
        return {'FINISHED'}


class SCENESYNC_OT_history_range(_Op):
    bl_idname = 'scenesync.history_range'
    bl_label = 'Set range'
    bl_description = 'Use the moment shown as the start or end of the range to play or bake'
    end: EnumProperty(items=[('START', 'Start', ''), ('END', 'End', ''), ('ALL', 'Whole log', '')], options={'SKIP_SAVE'})

    def execute(self, context):
        if self.end == 'ALL':
            H.range = [None, None]
            return {'FINISHED'}
        t = H.viewed['time'] if H.viewed and H.viewed.get('time') is not None else None
        if t is None:
            H.error = 'Pick a moment first: drag the slider, or step to a change.'
            return self.done(False)
        H.range[0 if self.end == 'START' else 1] = float(t)
        return {'FINISHED'}


def range_ms():
    """(start, end) of the range to play or bake in ms; end None: up to the newest change."""
    t0 = H.range[0] if H.range[0] is not None else H.span.start
    return t0, H.range[1]


class SCENESYNC_OT_history_play(_Op):
    bl_idname = 'scenesync.history_play'
    bl_label = 'Play'
    bl_description = 'Play the range at the chosen speed, as it happened (nothing is sent)'

    def execute(self, context):
        if H.play is not None:
            history_play.stop(H)
            return {'FINISHED'}
        t0, t1 = range_ms()
        return self.done(history_play.start(H, t0, t1, float(context.window_manager.scenesync_history.speed)))


class SCENESYNC_OT_history_bake(_Op):
    bl_idname = 'scenesync.history_bake'
    bl_label = 'Bake to keyframes'
    bl_description = 'Write new actions with a key at every recorded change in the range (existing actions are kept)'

    def execute(self, context):
        if H.bake is not None:
            history_jobs.cancel_bake(H)
            return {'FINISHED'}
        props = context.window_manager.scenesync_history
        ids, names = _chosen(context, props.selected_only)
        t0, t1 = range_ms()
        return self.done(history_jobs.start_bake(H, ids, names, t0, t1, props.resample, props.assign))


class SCENESYNC_OT_history_restore(_Op):
    bl_idname = 'scenesync.history_restore'
    bl_label = 'Restore'
    bl_description = 'Put objects back as they were at the moment shown, as a new edit everyone sees'
    whole: BoolProperty(default=False, options={'SKIP_SAVE'})

    def invoke(self, context, event):
        if self.whole:
            return context.window_manager.invoke_confirm(self, event)
        return self.execute(context)

    def execute(self, context):
        ids = None
        if not self.whole:
            ids, _ = _chosen(context, True)
            if not ids:
                H.error = 'Select the objects to restore (or restore the whole scene).'
                return self.done(False)
        return self.done(history_jobs.start_restore(H, ids))


class SCENESYNC_OT_copy_id(bpy.types.Operator):
    bl_idname = 'scenesync.copy_id'
    bl_label = 'Copy id'
    bl_description = "Copy the object's scenesync id, to paste into queries (scenesync query path --object ID)"
    bl_options = {'INTERNAL'}

    @classmethod
    def poll(cls, context):
        return context.object is not None and bool(getattr(context.object, PROP))

    def execute(self, context):
        context.window_manager.clipboard = getattr(context.object, PROP)
        self.report({'INFO'}, f'Copied {context.object.name}\'s id')
        return {'FINISHED'}


CLASSES = (ScenesyncHistory, SCENESYNC_OT_history_load, SCENESYNC_OT_history_step, SCENESYNC_OT_history_jump,
           SCENESYNC_OT_history_live, SCENESYNC_OT_history_range, SCENESYNC_OT_history_play,
           SCENESYNC_OT_history_bake, SCENESYNC_OT_history_restore, SCENESYNC_OT_copy_id)


def register() -> None:
    for c in CLASSES:
        bpy.utils.register_class(c)
    bpy.types.WindowManager.scenesync_history = bpy.props.PointerProperty(type=ScenesyncHistory)


def unregister() -> None:
    del bpy.types.WindowManager.scenesync_history
    for c in reversed(CLASSES):
        bpy.utils.unregister_class(c)

