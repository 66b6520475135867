"""Small pieces of core/: encoding, transforms, coalescing, colors, ids."""
import json
import unittest

import fakes  # noqa: F401  (puts the add-on on sys.path)
from core import colors, ids, protocol as P, xform as X
from core.coalescer import Coalescer


class ProtocolTest(unittest.TestCase):
    def test_one_compact_json_line_per_op(self):
        line = P.encode(P.xform_op('a', X.IDENTITY))
        self.assertTrue(line.endswith(b'\n'))
        self.assertEqual(line.count(b'\n'), 1)
        self.assertNotIn(b' ', line)
        self.assertEqual(json.loads(line)['xform']['scale'], [1.0, 1.0, 1.0])

    def test_batch_of_one_is_the_op_itself(self):
        op = P.delete('a')
        self.assertIs(P.batch([op]), op)
        self.assertEqual(P.batch([op, op])['op'], 'batch')

    def test_decode_skips_lines_that_are_not_messages(self):
        self.assertIsNone(P.decode('not json'))
        self.assertIsNone(P.decode('[1]'))
        self.assertIsNone(P.decode('{"type":"object"}'))
        m = P.decode('{"type":"scene","objects":[{"id":"a","name":"A","objectType":"EMPTY","parent":null,'
                     '"visible":true,"xform":null,"pose":{"b":null},"full":true},{"nope":1}]}')
        self.assertEqual([o.id for o in m['objects']], ['a'])
        self.assertIsNone(m['objects'][0].xform)
        self.assertEqual(m['objects'][0].pose, {})


class XformTest(unittest.TestCase):
    def test_values_are_rounded_to_float32_like_blender(self):
        x = X.from_json({'mode': 'XYZ', 'location': [0.1, 0, 0], 'rotation': [0, 0, 0], 'scale': [1, 1, 1]})
        self.assertEqual(x[1][0], X.f32(0.1))
        self.assertNotEqual(x[1][0], 0.1)

    def test_shapes_are_checked_per_mode(self):
        q = {'mode': 'QUATERNION', 'location': [0, 0, 0], 'rotation': [1, 0, 0, 0], 'scale': [1, 1, 1]}
        self.assertIsNotNone(X.from_json(q))
        self.assertIsNone(X.from_json(dict(q, rotation=[0, 0, 0])))
        self.assertIsNone(X.from_json(dict(q, mode='QUAT')))
        self.assertIsNone(X.from_json(dict(q, scale=[1, 1, float('inf')])))
        self.assertIsNone(X.from_json(dict(q, scale=[1, 1, True])))

    def test_round_trip_through_json(self):
        x = ('AXIS_ANGLE', (1.0, 2.0, 3.0), (0.5, 0.0, 0.0, 1.0), (2.0, 2.0, 2.0))
        self.assertEqual(X.from_json(json.loads(json.dumps(X.to_json(x)))), x)


class CoalescerTest(unittest.TestCase):
    def test_first_send_is_immediate_then_one_per_interval_with_the_last_value(self):
        c = Coalescer(0.016)
        self.assertTrue(c.offer('k', 1, 0.0))
        self.assertFalse(c.offer('k', 2, 0.005))
        self.assertFalse(c.offer('k', 3, 0.010))
        self.assertEqual(c.due(0.012), [])
        self.assertAlmostEqual(c.next_due(), 0.016)
        self.assertEqual(c.due(0.016), [('k', 3)])
        self.assertFalse(c.offer('k', 4, 0.020), 'the next one waits for the interval again')
        self.assertEqual(c.due(0.032), [('k', 4)])

    def test_keys_are_independent_and_forget_drops_an_object(self):
        c = Coalescer(0.016)
        c.offer(('a', 'xform'), 1, 0.0)
        c.offer(('a', 'xform'), 2, 0.001)
        self.assertTrue(c.offer(('b', 'xform'), 1, 0.001))
        c.forget('a')
        self.assertEqual(c.due(1.0), [])


class ColorTest(unittest.TestCase):
    def test_css_colors(self):
        self.assertEqual(colors.parse('#ff0000'), (1.0, 0.0, 0.0))
        self.assertEqual(colors.parse('#0f0'), (0.0, 1.0, 0.0))
        r, g, b = colors.parse('hsl(240, 70%, 55%)')
        self.assertGreater(b, r)
        self.assertEqual(colors.parse('rgb(255, 0, 0)'), (1.0, 0.0, 0.0))
        self.assertEqual(colors.parse('nonsense'), colors.GREY)
        self.assertEqual(colors.parse(None), colors.GREY)


class IdsTest(unittest.TestCase):
    def test_B2_a_duplicate_gets_a_new_id_and_the_original_keeps_its_own(self):
        entries = [(10, 'x'), (11, 'x'), (12, 'y')]
        self.assertEqual(ids.duplicates(entries, {'x': 11}), [10])
        self.assertEqual(ids.duplicates(entries, {}), [11])
        self.assertNotEqual(ids.new_id(), ids.new_id())



class LayoutTest(unittest.TestCase):
    def test_core_never_imports_bpy(self):
        import os
        import re
        core = os.path.join(os.path.dirname(__file__), '..', 'scenesync', 'core')
        for name in os.listdir(core):
            if name.endswith('.py'):
                with open(os.path.join(core, name), encoding='utf-8') as f:
                    self.assertIsNone(re.search(r'^\s*(import|from)\s+(bpy|mathutils|gpu|blf)\b', f.read(), re.M), name)


if __name__ == '__main__':
    unittest.main()
