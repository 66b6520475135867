/**
 * What the page remembers for this browser tab: the token (sessionStorage,
 * gone when the tab closes) and the room (in the address's #fragment, so a
 * link opens the same room and never sends either to a server log).
 * `#token=` in a link is taken into the session and removed from the address.
 */
const KEY = 'scenesync.token'

function hashParams(): URLSearchParams {
  return new URLSearchParams(location.hash.replace(/^#/, ''))
}

function setHash(p: URLSearchParams): void {
  const s = p.toString()
  history.replaceState(null, '', s ? `#${s}` : location.pathname + location.search)
}

export function takeToken(): string | null {
  const p = hashParams()
  const fromLink = p.get('token')
  if (fromLink) {
    sessionStorage.setItem(KEY, fromLink)
    p.delete('token')
    setHash(p)
  }
  return sessionStorage.getItem(KEY)
}

export function saveToken(token: string | null): void {
  if (token) sessionStorage.setItem(KEY, token)
  else sessionStorage.removeItem(KEY)
}

export function roomInAddress(): string | null {
  return hashParams().get('room')
}

export function openRoom(room: string | null): void {
  const p = hashParams()
  if (room) p.set('room', room)
  else p.delete('room')
  setHash(p)
}

/** A name for this viewer's presence: the token's, or one kept for the tab. */
export function viewerName(fromToken: string | null): string {
  if (fromToken) return fromToken
  let n = sessionStorage.getItem('scenesync.viewer')
  if (!n) sessionStorage.setItem('scenesync.viewer', (n = `viewer-${Math.random().toString(36).slice(2, 6)}`))
  return n
}

/**
 * The display name a token carries, read from its payload without checking
 * it (the server checks; this only labels the page's presence before the
 * server has answered).
 */
export function tokenName(token: string | null): string | null {
  if (!token) return null
  try {
    // A JSON Web Token: header.payload.signature.
    const payload = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')
    const claims = JSON.parse(atob(payload)) as { name?: unknown }
    return typeof claims.name === 'string' && claims.name ? claims.name : null
  } catch {
    return null
  }
}
