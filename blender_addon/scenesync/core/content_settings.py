"""The plain settings synced per data-block kind: doc key -> Blender property
path (the glTF-Blender-IO / Multi-user pattern: an explicit list per kind).

The keys and their types are src/crdt/data-settings.ts's; a test keeps the two
lists in step. A path is attribute names joined by dots from the data block
(``dof.focus_distance``); ``@Input Name`` is an input of a material's
Principled BSDF node. Settings listed in FIRST are applied before the others:
changing a light's type or turning on a material's nodes decides which of the
other settings exist.
"""
from __future__ import annotations

SETTINGS = {
    'MESH': [('use_auto_smooth', 'use_auto_smooth'), ('auto_smooth_angle', 'auto_smooth_angle')],
    'ARMATURE': [('display_type', 'display_type'), ('pose_position', 'pose_position'),
                 ('show_names', 'show_names'), ('show_axes', 'show_axes')],
    'CURVE': [(k, k) for k in ('dimensions', 'resolution_u', 'render_resolution_u', 'bevel_mode', 'bevel_depth',
                               'bevel_resolution', 'extrude', 'offset', 'fill_mode', 'twist_mode', 'use_fill_caps',
                               'use_path', 'path_duration')],
    'MATERIAL': [(k, k) for k in ('use_nodes', 'diffuse_color', 'metallic', 'roughness', 'specular_intensity',
                                  'blend_method', 'shadow_method', 'alpha_threshold', 'use_backface_culling',
                                  'show_transparent_back')] + [
        ('principled.base_color', '@Base Color'), ('principled.metallic', '@Metallic'),
        ('principled.roughness', '@Roughness'), ('principled.specular', '@Specular'), ('principled.ior', '@IOR'),
        ('principled.transmission', '@Transmission'), ('principled.emission', '@Emission'),
        ('principled.emission_strength', '@Emission Strength'), ('principled.alpha', '@Alpha')],
    'LIGHT': [(k, k) for k in (
        'type', 'color', 'energy', 'specular_factor', 'diffuse_factor', 'volume_factor',
        'use_shadow', 'shadow_soft_size', 'shadow_color', 'shadow_buffer_clip_start', 'shadow_buffer_bias',
        'use_contact_shadow', 'contact_shadow_distance', 'contact_shadow_bias', 'contact_shadow_thickness',
        'use_custom_distance', 'cutoff_distance', 'spot_size', 'spot_blend', 'show_cone', 'use_square',
        'shape', 'size', 'size_y', 'spread', 'angle', 'shadow_cascade_count', 'shadow_cascade_max_distance',
        'shadow_cascade_exponent', 'shadow_cascade_fade')],
    'CAMERA': [(k, k) for k in (
        'type', 'lens', 'lens_unit', 'sensor_fit', 'sensor_width', 'sensor_height', 'clip_start', 'clip_end',
        'ortho_scale', 'shift_x', 'shift_y', 'display_size', 'show_limits', 'show_passepartout',
        'passepartout_alpha')] + [('dof.' + k, 'dof.' + k) for k in (
            'use_dof', 'focus_distance', 'aperture_fstop', 'aperture_blades', 'aperture_rotation', 'aperture_ratio')],
}

FIRST = ('type', 'use_nodes')

#: The collection flags: doc key -> (on the collection | on its layer collection, property).
COLLECTION_FLAGS = {
    'hide_viewport': ('collection', 'hide_viewport'), 'hide_render': ('collection', 'hide_render'),
    'hide_select': ('collection', 'hide_select'), 'exclude': ('layer', 'exclude'), 'hide': ('layer', 'hide_viewport'),
}
