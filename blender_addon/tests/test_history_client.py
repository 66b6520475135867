"""The history client against a real HTTP server on loopback (Python's own
http.server standing in for the routes' shapes; the real server is exercised
by the Blender end-to-end tests)."""
import http.server
import json
import threading
import time
import unittest
import urllib.parse

import fakes  # noqa: F401
from core import history_client as C


class Handler(http.server.BaseHTTPRequestHandler):
    seen = []
    delay = 0.0

    def log_message(self, *args):
        pass

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        Handler.seen.append((u.path, q, self.headers.get('Authorization')))
        if Handler.delay:
            time.sleep(Handler.delay)
        if u.path.endswith('/timeline'):
            return self._json(200, {'first': {'seq': 1, 'time': 0}, 'last': {'seq': 9, 'time': 9}, 'entries': [], 'next': None, 'prev': None})
        if u.path.endswith('/scene'):
            return self._json(200, {'at': int(q.get('at', '0').isdigit() and q.get('at', '0') or 0), 'objects': []})
        if u.path.startswith('/rooms/secret/'):
            return self._json(401, {'error': 'token expired'})
        if u.path.startswith('/rooms/gone/'):
            return self._json(404, {'error': 'unknown room "gone"; rooms here: studio'})
        if u.path.endswith('/export'):
            body = 'time,seq,object_id\r\n' + ''.join(f'2026-01-01T00:00:00.{i:03d}Z,{i},a\r\n' for i in range(50))
            return self._raw(200, body.encode(), 'text/csv')
        return self._json(500, {'error': 'boom'})

    def _json(self, status, body):
        self._raw(status, json.dumps(body).encode(), 'application/json')

    def _raw(self, status, data, ctype):
        self.send_response(status)
        self.send_header('content-type', ctype)
        self.send_header('content-length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        cls.port = cls.httpd.server_address[1]
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()
        cls.httpd.server_close()

    def setUp(self):
        Handler.seen = []
        Handler.delay = 0.0
        self.base = f'http://127.0.0.1:{self.port}'

    def test_the_http_address_comes_from_the_websocket_address(self):
        self.assertEqual(C.http_base('ws://127.0.0.1:1234'), 'http://127.0.0.1:1234')
        self.assertEqual(C.http_base('wss://sync.example.com/scenesync/'), 'https://sync.example.com/scenesync')
        with self.assertRaises(C.HistoryError) as e:
            C.http_base('127.0.0.1:1234')
        self.assertIn('ws://', str(e.exception))

    def test_moments_are_positions_or_iso_times(self):
        self.assertEqual(C.at_param({'seq': 42, 'time': 5}), '42')
        self.assertEqual(C.at_param({'time': 1_767_225_600_016}), '2026-01-01T00:00:00.016Z')

    def test_the_token_goes_as_a_bearer_header_and_the_room_is_quoted(self):
        api = C.HistoryApi(self.base, 'my room', 'T0K')
        api.timeline(after=5, limit=500)
        path, q, auth = Handler.seen[-1]
        self.assertEqual(path, '/rooms/my%20room/timeline')
        self.assertEqual(q, {'after': '5', 'limit': '500'})
        self.assertEqual(auth, 'Bearer T0K')

    def test_errors_say_what_is_wrong(self):
        with self.assertRaises(C.HistoryError) as e:
            C.HistoryApi(self.base, 'secret').summary()
        self.assertEqual(e.exception.code, 'token')
        self.assertIn('token expired', str(e.exception))
        with self.assertRaises(C.HistoryError) as e:
            C.HistoryApi(self.base, 'gone').summary()
        self.assertIn('rooms here: studio', str(e.exception))
        with self.assertRaises(C.HistoryError) as e:
            C.HistoryApi('http://127.0.0.1:1', 'r', timeout=2).summary()
        self.assertEqual(e.exception.code, 'unreachable')
        self.assertIn('does not answer', str(e.exception))

    def test_a_range_too_long_to_play_is_refused_while_streaming(self):
        api = C.HistoryApi(self.base, 'r')
        self.assertEqual(len(api.samples_csv({'seq': 1}, {'seq': 9}, limit=100)), 50)
        with self.assertRaises(C.HistoryError) as e:
            api.samples_csv({'seq': 1}, {'seq': 9}, limit=10)
        self.assertEqual(e.exception.code, 'too_long')

    def test_the_worker_keeps_only_the_newest_job_of_a_slot(self):
        Handler.delay = 0.2
        w = C.Worker(C.HistoryApi(self.base, 'r'))
        try:
            w.submit('preview', lambda api, progress: api.scene({'seq': 1})['at'])
            time.sleep(0.05)   # the first is running; the next two wait, and the third replaces the second
            w.submit('preview', lambda api, progress: api.scene({'seq': 2})['at'])
            w.submit('preview', lambda api, progress: api.scene({'seq': 3})['at'])
            got = []
            end = time.monotonic() + 5
            while time.monotonic() < end and not got:
                got = w.poll()
                time.sleep(0.01)
            self.assertEqual([r.value for r in got], [3])
            self.assertEqual([q.get('at') for p, q, _ in Handler.seen if p.endswith('/scene')], ['1', '3'])
        finally:
            w.close()

    def test_the_worker_reports_errors_and_progress_and_stops_a_cancelled_job(self):
        w = C.Worker(C.HistoryApi(self.base, 'gone'))
        try:
            w.submit('a', lambda api, progress: api.summary())
            r = w.wait(5)
            self.assertFalse(r.ok)
            self.assertIn('unknown room', r.error)

            started = threading.Event()

            def long_job(api, progress):
                started.set()
                for i in range(1000):
                    progress(i, 1000)
                    time.sleep(0.01)
                return 'done'
            w.submit('bake', long_job)
            started.wait(5)
            self.assertEqual(w.wait(5).progress[1], 1000)
            w.cancel('bake')
            time.sleep(0.1)
            self.assertFalse(w.busy('bake'))
            self.assertEqual([r for r in w.poll() if r.value == 'done'], [])
        finally:
            w.close()


if __name__ == '__main__':
    unittest.main()
