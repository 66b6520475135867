/**
 * WebSocket close codes the server uses (4000–4999 are the application's),
 * each with the reason text sent alongside. Documented in the README.
 */
export const CLOSE = {
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** ws itself: a frame over the hard payload cap. */
  FRAME_TOO_LARGE: 1009,
  /** A frame that is not y-websocket protocol. */
  MALFORMED: 4400,
  /** Bytes that are not a valid Yjs update, or that cannot apply to the room. */
  INVALID_UPDATE: 4422,
  /** A message larger than the configured limit. */
  MESSAGE_TOO_LARGE: 4413,
  /** More updates per second than the connection's limit. */
  RATE_LIMITED: 4429,
  /** The room already has its maximum number of connections. */
  ROOM_FULL: 4503,
  /** The token expired while connected. */
  TOKEN_EXPIRED: 4401,
  /** The log refused or failed an append; the client resyncs on reconnect. */
  INTERNAL: 4500,
} as const
