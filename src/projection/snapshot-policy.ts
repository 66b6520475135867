/**
 * When the projector stores a snapshot of a room's doc in the log.
 *
 * A snapshot bounds what loading a room costs (decode the snapshot, then
 * replay the entries after it), but encoding one costs a pass over the whole
 * doc, and both decoding a snapshot and replaying updates cost in proportion
 * to their bytes. Counting entries alone gets the balance wrong in a big, busy
 * room: on the core bench's room (1,000 objects, 1.3 MB of state) a snapshot
 * every 5,000 entries spent as long encoding snapshots as applying the
 * updates, while replaying those 5,000 entries cost a third of decoding the
 * snapshot itself.
 *
 * So a snapshot waits for both `every` entries and update bytes worth
 * `tailRatio` times the last snapshot's size: encoding then stays a bounded
 * share of the applying, and a load replays at most about `tailRatio` times
 * what it decodes (it never costs more than a few times the snapshot alone).
 */
export interface SnapshotPolicy {
  /** Entries of a room between snapshots, at least; 0 = never store snapshots. */
  every: number
  /** Update bytes since the last snapshot, at least, as a multiple of its size; 0 = entries only. */
  tailRatio: number
}

export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { every: 5000, tailRatio: 2 }

/** What a room has had since its last snapshot. */
export interface SnapshotTail {
  entries: number
  bytes: number
  /** Size of the last snapshot (or of the state the room was loaded from). */
  snapshotBytes: number
}

export function snapshotDue(policy: SnapshotPolicy, tail: SnapshotTail): boolean {
  if (policy.every <= 0 || tail.entries < policy.every) return false
  return tail.bytes >= policy.tailRatio * tail.snapshotBytes
}
