"""The History panel's timeline: span, markers, entries in words, stepping."""
import unittest

import fakes  # noqa: F401
from core import history_timeline as T


def entry(seq, time, user='ann', changes=()):
    return {'seq': seq, 'time': time, 'user': user, 'client': 1, 'bytes': 10, 'changes': list(changes)}


class SpanTest(unittest.TestCase):
    def setUp(self):
        self.span = T.Span({'seq': 10, 'time': 1_000_000}, {'seq': 90, 'time': 1_100_000}, 81,
                           [{'start': 1_000_000, 'end': 1_050_000, 'entries': 80}, {'start': 1_050_000, 'end': 1_100_000, 'entries': 1}],
                           [{'seq': 10, 'time': 1_000_000, 'user': 'ann', 'client': 1}, {'seq': 90, 'time': 1_100_000, 'user': 'bob', 'client': 2}])

    def test_the_slider_maps_the_first_entry_to_0_and_the_last_to_1(self):
        self.assertEqual(self.span.factor(1_000_000), 0.0)
        self.assertEqual(self.span.factor(1_100_000), 1.0)
        self.assertEqual(self.span.time_at(0.5), 1_050_000)
        self.assertEqual(self.span.factor(0), 0.0)

    def test_markers_show_where_many_changes_were_made_and_who_joined(self):
        m = self.span.markers(4)
        self.assertEqual([c[1] for c in m], [3, 0, 1, 0])
        self.assertEqual(m[0][2], ['ann'])
        self.assertEqual(m[3][2], ['bob'])

    def test_the_span_grows_with_the_log(self):
        self.span.grow({'seq': 10, 'time': 1_000_000}, {'seq': 95, 'time': 1_200_000})
        self.assertEqual(self.span.end, 1_200_000)

    def test_an_empty_room(self):
        s = T.Span.from_summary({'first': None, 'last': None, 'entries': 0})
        self.assertTrue(s.empty)
        self.assertEqual(s.markers(10), [])


class DescribeTest(unittest.TestCase):
    def test_an_entry_in_words(self):
        e = entry(1, 0, changes=[{'id': 'a', 'name': 'Suzanne', 'what': ['location', 'rotation']},
                                 {'id': 'b', 'name': 'Rig', 'what': ['pose.hand.L', 'pose.hand.R']}])
        self.assertEqual(T.describe(e), 'moved and rotated Suzanne, posed Rig (hand.L, hand.R)')

    def test_created_deleted_and_many(self):
        e = entry(1, 0, changes=[{'id': str(i), 'name': f'O{i}', 'what': ['created']} for i in range(5)])
        self.assertEqual(T.describe(e, limit=2), 'created O0, created O1 and 3 more')
        self.assertEqual(T.describe(entry(1, 0, changes=[{'id': 'x', 'name': None, 'what': ['deleted']}])), 'deleted x')

    def test_an_entry_that_changed_no_object(self):
        self.assertEqual(T.describe(entry(1, 0)), 'no object changes')


class EntriesTest(unittest.TestCase):
    def test_stepping_between_fetched_entries(self):
        es = T.Entries()
        es.add([entry(s, s * 10) for s in (5, 7, 9, 12)])
        self.assertEqual(es.at_or_before(8)['seq'], 7)
        self.assertEqual(es.after(7)['seq'], 9)
        self.assertEqual(es.before(7)['seq'], 5)
        self.assertIsNone(es.before(5))
        self.assertIsNone(es.after(12))
        self.assertEqual([e['seq'] for e in es.around(9, before=2, after=1)], [7, 9, 12])
        self.assertEqual(es.at_or_before_time(95)['seq'], 9)

    def test_memory_stays_flat(self):
        es = T.Entries(keep=10)
        for k in range(5):
            es.add([entry(k * 100 + s, s) for s in range(20)])
        self.assertEqual(len(es), 10)


if __name__ == '__main__':
    unittest.main()
