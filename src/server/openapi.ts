/**
 * The HTTP API described in OpenAPI 3.1, served at GET /openapi.json. A test
 * validates it (@readme/openapi-parser) and calls every operation it lists
 * against a real server, so this stays what the routes answer.
 */

const json = (schema: object) => ({ 'application/json': { schema } })
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const error = (description: string) => ({ description, content: json(ref('Error')) })
const room = { $ref: '#/components/parameters/room' }
const auth = { 401: error('no valid token (missing, malformed, forged, expired, wrong algorithm)'), 403: error('a token for another room') }
const point = (name: string, description: string, example: string) => ({ name, in: 'query', required: false, description, schema: { type: 'string', pattern: '^(\\d+|\\d{4}-.+)$' }, example })
const positionOrTime = 'a log position (digits) or an ISO date/time'

const xform = {
  type: 'object',
  required: ['mode', 'location', 'rotation', 'scale'],
  properties: {
    mode: { enum: ['QUATERNION', 'AXIS_ANGLE', 'XYZ', 'XZY', 'YXZ', 'YZX', 'ZXY', 'ZYX'] },
    location: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
    rotation: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 4, description: 'quaternion wxyz, axis-angle (angle, xyz) or Euler xyz in radians, as Blender stores it for the mode' },
    scale: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
  },
}

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'scenesync HTTP API',
      version,
      summary: 'Reads of a room: the scene at any point of its history, one object’s changes, the log page by page, data blocks and exports.',
      description: 'Served on the WebSocket port. Room routes need `Authorization: Bearer <token>` when the server has a secret or keys (docs/tokens.md). Details: docs/http-api.md.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:1234' }],
    security: [{ bearer: [] }],
    paths: {
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Liveness, and the server clock agents measure their offset to',
          security: [],
          responses: { 200: { description: 'ok, or degraded (reads go on) while the log’s disk is full or the projector fails', content: json(ref('Health')) } },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus text: the server’s metrics and the process’s',
          security: [],
          responses: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': {
        get: { operationId: 'openapi', summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } },
      },
      '/': {
        get: { operationId: 'webView', summary: 'The web view: the room live in 3D, presence and a time slider (its files under /web/)', security: [], responses: { 200: { description: 'the page', content: { 'text/html': { schema: { type: 'string' } } } } } },
      },
      '/rooms': {
        get: {
          operationId: 'rooms',
          summary: 'The rooms the token may read, with their object counts and last change',
          responses: { 200: { description: 'the rooms', content: json(ref('Rooms')) }, 401: auth[401] },
        },
      },
      '/rooms/{room}/span': {
        get: {
          operationId: 'span',
          summary: 'The room’s first and last log entry, the projection’s head, the server’s clock and what the token may do',
          parameters: [room],
          responses: { 200: { description: 'the span', content: json(ref('Span')) }, ...auth },
        },
      },
      '/rooms/{room}/activity': {
        get: {
          operationId: 'activity',
          summary: 'Log entries per time bucket and person over a time range',
          parameters: [
            room,
            { name: 'from', in: 'query', description: 'epoch ms or ISO time (default: the first entry)', schema: { type: 'string' } },
            { name: 'to', in: 'query', description: 'epoch ms or ISO time (default: the last entry)', schema: { type: 'string' } },
            { name: 'buckets', in: 'query', schema: { type: 'integer', minimum: 1 }, example: 20 },
          ],
          responses: { 200: { description: 'a grid of counts', content: json(ref('Activity')) }, 400: error('a bad parameter'), ...auth },
        },
      },
      '/rooms/{room}/changes': {
        get: {
          operationId: 'changes',
          summary: 'Who changed what, when: the latest `limit` log entries of a range, oldest first',
          parameters: [room, point('from', positionOrTime, '1'), point('to', positionOrTime, '100'), { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 }, example: 10 }],
          responses: { 200: { description: 'one page; `next` is the `to` of the older page', content: json(ref('Changes')) }, 400: error('a bad parameter'), ...auth },
        },
      },
      '/rooms/{room}/diff': {
        get: {
          operationId: 'diff',
          summary: 'What was added, removed and changed between two points (default: the start and now)',
          parameters: [room, point('from', positionOrTime, '1'), point('to', positionOrTime, '5')],
          responses: { 200: { description: 'the difference', content: json(ref('Diff')) }, 400: error('a bad parameter'), ...auth },
        },
      },
      '/rooms/{room}/objects/{objectId}': {
        get: {
          operationId: 'object',
          summary: 'One object as it was at a point, and its last change by then (null, null when the history does not hold it)',
          parameters: [room, { name: 'objectId', in: 'path', required: true, schema: { type: 'string' } }, point('at', positionOrTime, '4')],
          responses: { 200: { description: 'the object', content: json(ref('ObjectAt')) }, 400: error('a bad `at`'), ...auth },
        },
      },
      '/rooms/{room}/scene': {
        get: {
          operationId: 'scene',
          summary: 'The scene at a point of history (now by default)',
          parameters: [room, point('at', positionOrTime, '42')],
          responses: { 200: { description: 'every live object, data block and collection at that point', content: json(ref('Scene')) }, 400: error('a bad `at`'), ...auth, 503: error('the server runs without a projection') },
        },
      },
      '/rooms/{room}/objects/{object}/history': {
        get: {
          operationId: 'objectHistory',
          summary: 'One object’s changes over a range, its pose bones’ too',
          parameters: [
            room,
            { name: 'object', in: 'path', required: true, description: 'its id, or a name it has or had', schema: { type: 'string' }, example: 'Suzanne' },
            point('from', `start of the range (inclusive): ${positionOrTime}`, '1'),
            point('to', `end of the range (inclusive): ${positionOrTime}`, '100'),
          ],
          responses: {
            200: { description: 'the points of the range', content: json(ref('ObjectHistory')) },
            400: error('a bad `from` or `to`'),
            ...auth,
            404: error('no such object or room'),
            409: { description: 'a name several objects have', content: json({ allOf: [ref('Error'), { type: 'object', required: ['matches'], properties: { matches: { type: 'array' } } }] }) },
          },
        },
      },
      '/rooms/{room}/timeline': {
        get: {
          operationId: 'timeline',
          summary: 'A page of the room’s log, oldest first',
          parameters: [
            room,
            { name: 'after', in: 'query', description: 'entries after this position (exclusive)', schema: { type: 'integer', minimum: 0 }, example: 0 },
            { name: 'before', in: 'query', description: 'or the page before this position', schema: { type: 'integer', minimum: 1 } },
            { name: 'limit', in: 'query', description: 'entries per page (default 500)', schema: { type: 'integer', minimum: 1, maximum: 2000 }, example: 50 },
          ],
          responses: { 200: { description: 'one page', content: json(ref('TimelinePage')) }, 400: error('a bad parameter'), ...auth },
        },
      },
      '/rooms/{room}/timeline/summary': {
        get: {
          operationId: 'timelineSummary',
          summary: 'The whole room in one pass: time buckets and where each client joined',
          parameters: [room, { name: 'buckets', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 2000 }, example: 10 }],
          responses: { 200: { description: 'the summary', content: json(ref('TimelineSummary')) }, 400: error('a bad parameter'), ...auth },
        },
      },
      '/rooms/{room}/export': {
        get: {
          operationId: 'export',
          summary: 'A time range as a file, streamed (glTF 2.0 with one animation, CSV or Parquet)',
          parameters: [
            room,
            { name: 'format', in: 'query', required: true, schema: { enum: ['gltf', 'csv', 'parquet'] }, example: 'csv' },
            point('from', positionOrTime, '1'),
            point('to', positionOrTime, '100'),
            { name: 'fps', in: 'query', description: 'glTF: samples at this fixed rate instead of at each log entry', schema: { type: 'number', exclusiveMinimum: 0 } },
            { name: 'interpolation', in: 'query', description: 'glTF', schema: { enum: ['step', 'linear'] } },
          ],
          responses: {
            200: {
              description: 'the file; `content-disposition` names it and `x-scenesync-range` gives the range',
              headers: { 'x-scenesync-range': { schema: { type: 'string' } } },
              content: { 'model/gltf-binary': { schema: { type: 'string', format: 'binary' } }, 'text/csv': { schema: { type: 'string' } }, 'application/vnd.apache.parquet': { schema: { type: 'string', format: 'binary' } } },
            },
            400: error('a bad format or parameter'),
            ...auth,
            404: error('no such room'),
          },
        },
      },
      '/rooms/{room}/data/{id}': {
        get: {
          operationId: 'dataBlock',
          summary: 'A data block as it was at a point: settings, and its geometry’s summary and bytes',
          parameters: [room, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }, point('at', positionOrTime, '42'), { name: 'bytes', in: 'query', description: '0 leaves the geometry bytes out', schema: { enum: ['0', '1'] } }],
          responses: { 200: { description: 'the data block', content: json(ref('DataBlock')) }, 400: error('a bad `at`'), ...auth, 404: error('no such data block at that point') },
        },
      },
      '/rooms/{room}/data/{id}/geometry': {
        get: {
          operationId: 'geometry',
          summary: 'A data block’s geometry bytes alone (docs/geometry-format.md), read back from the log',
          parameters: [room, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }, point('at', positionOrTime, '42')],
          responses: { 200: { description: 'the geometry value', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, ...auth, 404: error('no such data block, or it has no geometry') },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'scenesync token, or a JWT from your identity provider (docs/tokens.md)' } },
      parameters: { room: { name: 'room', in: 'path', required: true, description: 'the room (the WebSocket URL’s path)', schema: { type: 'string', minLength: 1, maxLength: 256 }, example: 'studio' } },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
        Health: { type: 'object', required: ['ok', 'status', 'time'], properties: { ok: { type: 'boolean' }, status: { enum: ['ok', 'degraded'] }, problems: { type: 'array', items: { type: 'string' } }, time: { type: 'integer', description: 'ms since the Unix epoch' } } },
        Xform: xform,
        SceneObject: {
          type: 'object',
          required: ['id', 'name', 'type', 'parent', 'visible', 'xform', 'pose', 'seq'],
          properties: { id: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' }, parent: { type: ['string', 'null'] }, visible: { type: 'boolean' }, xform: ref('Xform'), pose: { type: 'object', additionalProperties: ref('Xform') }, seq: { type: 'integer' } },
        },
        Scene: { type: 'object', required: ['room', 'at', 'objects'], properties: { room: { type: 'string' }, at: { type: 'integer' }, objects: { type: 'array', items: ref('SceneObject') }, data: { type: 'array' }, collections: { type: 'array' } } },
        ObjectHistory: {
          type: 'object',
          required: ['room', 'object', 'name', 'from', 'to', 'points', 'bones'],
          properties: { room: { type: 'string' }, object: { type: 'string' }, name: { type: 'string' }, from: { type: 'integer' }, to: { type: 'integer' }, points: { type: 'array' }, bones: { type: 'array' } },
        },
        TimelinePage: { type: 'object', required: ['room', 'first', 'last', 'entries', 'next', 'prev'], properties: { room: { type: 'string' }, entries: { type: 'array' }, next: { type: ['integer', 'null'] }, prev: { type: ['integer', 'null'] } } },
        TimelineSummary: { type: 'object', required: ['room', 'first', 'last', 'entries', 'buckets', 'joins'], properties: { room: { type: 'string' }, entries: { type: 'integer' }, buckets: { type: 'array' }, joins: { type: 'array' } } },
        Rooms: { type: 'object', required: ['auth', 'pattern', 'role', 'name', 'rooms'], properties: { auth: { type: 'boolean' }, pattern: { type: 'string' }, role: { enum: ['read', 'write'] }, name: { type: ['string', 'null'] }, rooms: { type: 'array' } } },
        Span: { type: 'object', required: ['room', 'first', 'last', 'head', 'now', 'role', 'name'], properties: { room: { type: 'string' }, head: { type: 'integer' }, now: { type: 'integer' }, role: { enum: ['read', 'write'] } } },
        Activity: { type: 'object', required: ['room', 'from', 'to', 'bucketMs', 'users', 'cells'], properties: { room: { type: 'string' }, bucketMs: { type: 'number' }, users: { type: 'array' }, cells: { type: 'array' } } },
        Changes: { type: 'object', required: ['room', 'to', 'changes', 'next'], properties: { room: { type: 'string' }, changes: { type: 'array' }, next: { type: ['integer', 'null'] } } },
        Diff: { type: 'object', required: ['room', 'from', 'to', 'added', 'removed', 'changed'], properties: { room: { type: 'string' }, added: { type: 'array' }, removed: { type: 'array' }, changed: { type: 'array' } } },
        ObjectAt: { type: 'object', required: ['room', 'at', 'object', 'lastChange'], properties: { room: { type: 'string' }, at: { type: 'integer' }, object: { type: ['object', 'null'] }, lastChange: { type: ['object', 'null'] } } },
        DataBlock: { type: 'object', required: ['room', 'at', 'id', 'seq', 'kind', 'name', 'settings', 'geometry'], properties: { id: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' }, settings: { type: 'object' }, geometry: { type: ['object', 'null'] } } },
      },
    },
  }
}
