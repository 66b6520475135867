"""Cameras: type, lens, sensor, clipping, shift, orthographic scale, depth of
field and viewport display (core/content_settings.py). The angle is not synced:
Blender derives it from the lens and the sensor."""
import bpy

from . import values
from ..core.content_settings import SETTINGS

SPEC = SETTINGS['CAMERA']


def new(name):
    return bpy.data.cameras.new(name)


def read_settings(cam) -> dict:
    return values.read(cam, SPEC)


def write_settings(cam, settings: dict) -> None:
    values.write(cam, settings, SPEC)
