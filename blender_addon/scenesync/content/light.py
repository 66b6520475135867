"""Lights: type and every setting of their data panels (core/content_settings.py).
Changing the type changes which settings exist, so it is set first."""
import bpy

from . import values
from ..core.content_settings import SETTINGS

SPEC = SETTINGS['LIGHT']


def new(name):
    return bpy.data.lights.new(name, 'POINT')


def read_settings(light) -> dict:
    return values.read(light, SPEC)


def write_settings(light, settings: dict) -> None:
    values.write(light, settings, SPEC)
