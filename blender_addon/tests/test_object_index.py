"""The id -> object index kept between main-thread calls (core/object_index.py):
built once, kept up to date by creations, deletions and structure checks, and
rebuilt only after an invalidation (undo, file load) or a failed check."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'scenesync'))

from core.object_index import ObjectIndex  # noqa: E402


class Obj:
    """A Blender object as far as the index sees it; ``freed`` as after an
    operator deleted it (touching it raises, as bpy does)."""

    _next = 0x1000

    def __init__(self, oid='', library=False):
        Obj._next += 8
        self.ptr = Obj._next
        self._id = oid
        self.library = library
        self.freed = False
        self.reads = 0

    @property
    def id(self):
        if self.freed:
            raise ReferenceError('StructRNA of type Object has been removed')
        self.reads += 1
        return self._id

    @id.setter
    def id(self, v):
        self._id = v


class Scene:
    """The synced scene's objects; counts the passes over them."""

    def __init__(self):
        self.objs = []
        self.passes = 0
        self.counts = 0

    def objects(self):
        self.passes += 1
        return list(self.objs)

    def count(self):
        self.counts += 1
        return len(self.objs)

    @staticmethod
    def id_of(o):
        return o.id

    @staticmethod
    def pointer(o):
        if o.freed:
            raise ReferenceError('StructRNA of type Object has been removed')
        return o.ptr

    @staticmethod
    def synced(o):
        return not o.library

    def add(self, oid='', **kw):
        o = Obj(oid, **kw)
        self.objs.append(o)
        return o

    def delete(self, o):
        self.objs.remove(o)
        o.freed = True


class IndexTest(unittest.TestCase):
    def setUp(self):
        self.sc = Scene()
        self.a = self.sc.add('a')
        self.b = self.sc.add('b')
        self.plain = self.sc.add('')          # no id yet: not indexed; the caller stamps it when it is reported
        self.lib = self.sc.add('lib', library=True)  # linked library data is not ours
        self.ix = ObjectIndex(self.sc)
        self.ix.begin()

    def test_built_once_then_lookups_do_not_scan(self):
        self.assertIs(self.ix.get('a'), self.a)
        self.assertIsNone(self.ix.get('lib'))
        self.assertEqual(self.sc.passes, 1)
        for _ in range(100):
            self.ix.begin()                   # a new timer tick
            self.assertIs(self.ix.get('b'), self.b)
            self.assertIsNone(self.ix.get('not-here'), 'an id it does not hold is simply absent')
        self.assertEqual(self.sc.passes, 1, 'no pass over the scene after the first')
        self.assertEqual(self.ix.rebuilds, 1)

    def test_each_object_is_checked_once_per_call(self):
        self.ix.get('a')
        reads = self.a.reads
        self.ix.get('a')
        self.ix.get('a')
        self.assertEqual(self.a.reads, reads, 'checked already in this call')
        self.ix.begin()
        self.ix.get('a')
        self.assertEqual(self.a.reads, reads + 1, 'a new call checks it again')

    def test_creations_and_deletions_keep_it_without_a_scan(self):
        self.ix.get('a')
        c = self.sc.add('c')
        self.ix.put('c', c, new_in_scene=True)
        self.ix.remove('a')
        self.sc.delete(self.a)
        self.ix.begin()
        self.assertIs(self.ix.get('c'), c)
        self.assertIsNone(self.ix.get('a'))
        self.assertEqual(self.ix.check_removed(), ([], []), 'the counts agree: nothing to look for')
        self.assertEqual(self.sc.passes, 1)

    def test_an_object_deleted_behind_its_back_is_found_and_reported(self):
        self.ix.get('a')
        self.sc.delete(self.b)                # an operator deleted it
        self.ix.begin()
        self.assertEqual(self.ix.check_removed(), (['b'], [self.plain]))
        self.assertIsNone(self.ix.get('b'))
        self.assertEqual(self.ix.check_removed(), ([], []), 'reported once')

    def test_a_deleted_object_touched_before_the_structure_check_is_still_reported(self):
        self.ix.get('a')
        self.sc.delete(self.b)
        self.ix.begin()
        # The timer reaches it first: the check fails, the index is rebuilt...
        self.assertIsNone(self.ix.get('b'))
        self.assertEqual(self.ix.rebuilds, 2)
        # ...and the depsgraph handler's structure check still learns of the deletion.
        self.assertEqual(self.ix.check_removed(), (['b'], []))

    def test_a_freed_address_reused_by_a_new_object_does_not_fool_it(self):
        self.ix.get('a')
        self.sc.delete(self.b)
        c = self.sc.add('c')
        c.ptr = self.b.ptr                    # Blender reused the memory
        self.ix.begin()
        gone, unseen = self.ix.check_removed()
        self.assertEqual(gone, [])            # the counts agree, so nothing is looked at...
        self.sc.add('d')                      # ...until the count differs
        gone, unseen = self.ix.check_removed()
        self.assertEqual(gone, ['b'])
        self.assertEqual(sorted(o.id for o in unseen), ['', 'c', 'd'])
        self.assertNotIn(self.lib, unseen, 'linked library data is never ours')

    def test_a_structure_check_on_an_invalid_index_still_reports_what_has_no_id(self):
        self.ix.invalidate()
        copy = self.sc.add('a')
        self.ix.begin()
        gone, unseen = self.ix.check_removed()
        self.assertEqual(gone, [])
        self.assertEqual(unseen, [self.plain, copy], 'the caller gives them ids, as after a full scan')

    def test_B2_a_duplicate_carrying_a_copied_id_does_not_take_it(self):
        self.ix.get('a')
        copy = self.sc.add('a')               # Shift+D copies the custom property
        self.ix.begin()
        gone, unseen = self.ix.check_removed()
        self.assertEqual(gone, [])
        self.assertIn(copy, unseen, 'the copy is new to the index: the caller gives it an id')
        self.assertIs(self.ix.get('a'), self.a, 'the object we knew keeps its id')
        # Even a rebuild (another object re-stamped behind its back) keeps the known holder.
        self.b.id = 'b2'
        self.ix.begin()
        self.assertIsNone(self.ix.get('b'))
        self.assertIs(self.ix.get('a'), self.a)

    def test_undo_invalidates_and_nothing_held_is_touched_again(self):
        self.ix.get('a')
        gen = self.ix.generation
        self.ix.invalidate()                  # undo_post / load_post
        # Undo frees objects: touching one held from before would crash Blender.
        for o in self.sc.objs:
            o.freed = True
        self.sc.objs = [Obj('a'), Obj('b')]
        self.ix.begin()
        got = self.ix.get('a')
        self.assertIs(got, self.sc.objs[0], 'rebuilt from the scene as the undo left it')
        self.assertGreater(self.ix.generation, gen, 'cached lists (presence) see it changed')
        self.assertEqual(self.ix.check_removed(), ([], []), 'whoever invalidates compares everything')

    def test_B4_objects_of_another_scene_are_never_indexed_nor_reported(self):
        other = Obj('x')                      # lives only in another scene: not in io.objects()
        self.assertIsNone(self.ix.get('x'))
        self.ix.begin()
        self.assertEqual(self.ix.check_removed(), ([], []))
        # It is linked into the synced scene: the structure check finds it, as new.
        self.sc.objs.append(other)
        gone, unseen = self.ix.check_removed()
        self.assertEqual((gone, unseen), ([], [self.plain, other]))
        self.plain.id = 'p'                   # what the caller does with what is reported
        self.ix.put('p', self.plain)
        self.ix.put('x', other)
        # And unlinked again (still alive elsewhere): reported as gone from this scene.
        self.sc.objs.remove(other)
        self.ix.begin()
        self.assertEqual(self.ix.check_removed(), (['x'], []))
        self.assertIsNone(self.ix.get('x'))


if __name__ == '__main__':
    unittest.main()
