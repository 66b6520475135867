"""Stable object ids ([B2]).

An object's id is a UUID kept in its own data, so it survives rename, undo, save
and reload. Duplicating an object copies its data, id included: when two objects
carry one id, the one we already knew keeps it and the others get new ids.
"""
from __future__ import annotations

import uuid


def new_id() -> str:
    return str(uuid.uuid4())


def duplicates(entries, known: dict) -> list:
    """``entries``: (key, id) pairs for every object (key: anything unique per
    object in this session, e.g. its memory address); ``known``: id -> key of
    the object that held that id before. Returns the keys whose id must be
    replaced, i.e. every holder of a shared id but the known one (or the first)."""
    holders = {}
    for key, oid in entries:
        holders.setdefault(oid, []).append(key)
    out = []
    for oid, keys in holders.items():
        if len(keys) < 2:
            continue
        keep = known.get(oid)
        if keep not in keys:
            keep = keys[0]
        out.extend(k for k in keys if k != keep)
    return out
