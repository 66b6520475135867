/**
 * What to tell the person when the connection to the server fails: what
 * happened, in words, and what to do about it. The add-on shows these as they
 * are (blender_addon/README.md, "When something goes wrong").
 */

// The server's close codes, as the README documents them (the agent talks to any
// y-websocket server, and imports nothing of ours above the scene model).
const CLOSE = { TOKEN_EXPIRED: 4401, ROOM_FULL: 4503, RATE_LIMITED: 4429, MESSAGE_TOO_LARGE: 4413 } as const

export interface ConnectionFailure {
  /** A WebSocket close code and reason from the server. */
  code?: number
  reason?: string | undefined
  /** The socket's error message (ECONNREFUSED, a DNS failure, an HTTP status at the upgrade). */
  message?: string | undefined
}

export function connectionProblem(url: string, room: string, f: ConnectionFailure): string {
  const reason = f.reason ? `: ${f.reason}` : ''
  switch (f.code) {
    case CLOSE.TOKEN_EXPIRED:
      return `The server at ${url} closed the connection: the token expired (${f.code}). Make a new token and paste it in the add-on preferences (Token), then connect again.`
    case CLOSE.ROOM_FULL:
      return `The server at ${url} refused the connection: room "${room}" is full (${f.code})${reason}.`
    case CLOSE.RATE_LIMITED:
    case CLOSE.MESSAGE_TOO_LARGE:
      return `The server at ${url} closed the connection because of this Blender's traffic (${f.code}${reason}); it reconnects and resends by itself.`
    case undefined:
      break
    default:
      return `The server at ${url} closed the connection (${f.code}${reason}).`
  }
  const m = f.message ?? ''
  if (/Unexpected server response: 401/.test(m)) {
    return `The server at ${url} refused the token (401 Unauthorized). Paste a valid token for room "${room}" in the add-on preferences (Token).`
  }
  if (/Unexpected server response: 403/.test(m)) {
    return `The server at ${url} refused the token for room "${room}" (403 Forbidden): the token is for another room. Use a token made for "${room}".`
  }
  const why = /ECONNREFUSED/.test(m) ? 'nothing listens there' : /ENOTFOUND|EAI_AGAIN/.test(m) ? 'the host name is unknown' : m || 'no connection'
  return `The server at ${url} does not answer (${why}). Check the Server address and that the server is running; edits are kept and sent when it answers.`
}
