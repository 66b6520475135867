/*
 * projection.pml — the projector and time travel, model-checked with SPIN.
 *
 * Abstracts the behaviour of these files; when one of them changes, revisit this model
 * and proofs/README.md:
 *   src/projection/projector.ts        reads the global feed after its cursor in batches;
 *                                      after a crash, restarts from the committed cursor
 *   src/projection/change-extractor.ts applies entries to one doc per room, turns what
 *                                      each entry changed into rows
 *   src/projection/load-room.ts        a room's doc as of the cursor (snapshot + tail)
 *   src/projection/row-sink.ts         rows AND the cursor in one SQLite transaction
 *   src/projection/time-travel.ts      the scene at a position, from the history rows
 *   src/log/sqlite-event-log.ts        the feed: totally ordered, append-only, immutable
 *
 * Rules (/work/shared/DESIGN.md): [P1] [P2] [P3]; it relies on [L2] [L3] and [C2]. Every
 * assertion starts with its rule's tag, so a counterexample names its rule.
 *
 * Actors: an appender that grows the log, and the projector, which can crash (lose its
 * memory; what SQLite committed stays) at any step and restarts.
 *
 * CRDT abstraction. The scene is a map object -> value. An edit either sets an object's
 * value with a (clock, client) stamp, the greatest stamp winning, or deletes the object,
 * which wins over every set (a concurrent move of a deleted object is lost); an object
 * is in the scene when some set reached it and no delete did. The merge (per object:
 * max of stamps, or of deletion) is commutative, associative and idempotent, so the
 * content after a log prefix is a function of the edits in it, and a duplicated entry
 * changes nothing. The edit pool:
 *   e0: set object 0, stamp (1, client 0)     e3: delete object 0 (client 1)
 *   e1: set object 0, stamp (1, client 1)     e4: set object 1, stamp (1, client 1)
 *   e2: set object 1, stamp (2, client 0)
 * so e1 beats e0 whichever comes first in the log, e2 beats e4, e3 removes object 0.
 * The log is any sequence of N of them (repeats allowed: resends are appended again).
 *
 * Tables (committed state, what readers see):
 *   cur[o]        current objects: o's value (edit+1 of the winning set), 0: no row
 *   hcnt/hval     history: the rows for (entry p, object o): how many (must be 0 or 1)
 *                 and the value after entry p; a row exists iff entry p changed o
 *   ecnt[p]       events: rows for entry p (must be 1 below the cursor, 0 above)
 *   cursor        the projector's cursor: the number of entries projected
 *
 * Mutants (spin -DMUTANT_...), each rejected for the rule in brackets:
 *   CURSOR_SEPARATE  rows committed, then the cursor in its own transaction     [P1]/[P2]
 *   CURSOR_FIRST     the cursor committed before the rows                      [P1]/[P2]
 *   COLD_DOC         after a restart the projector applies the next entries to
 *                    an empty doc instead of the doc of the committed prefix     [P1]
 *   TT_OFF_BY_ONE    scene_at(k) also takes the history row of entry k           [P3]
 * CURSOR_SEPARATE and CURSOR_FIRST are also run with -DNO_LOOK_BETWEEN (see BETWEEN).
 *
 * Witnesses (spin -DWITNESS_...): assertions that must FAIL, showing that the situation
 * they name is reached, so the checks are not vacuous:
 *   NOCHANGE   an entry that changes nothing is projected (a resent duplicate, or a set
 *              that loses to a greater stamp already applied): an event row, no history
 *   DELETE     a delete is projected: a history row saying "not in the scene"
 *   RESUME     the projector restarts in the middle of the log and goes on from there
 */

#ifndef N
#define N 5             /* log entries */
#endif
#define K 2             /* objects */
#define NE 5            /* edits in the pool */
#ifndef B
#define B 3             /* most entries the projector reads per batch */
#endif
#ifndef CRASHES
#define CRASHES 3       /* projector crashes, whole run */
#endif
#define NONE 255

/* the edit pool */
#define ISDEL(e)     ((e) == 3)
#define OBJ(e)       ((e) == 2 || (e) == 4 -> 1 : 0)
#define STAMP(e)     ((e) == 2 -> 20 : ((e) == 1 || (e) == 4 -> 11 : 10))   /* clock*10+client */

/* the log: append-only, entries never change ([L2], [L3]) */
byte log[N];
byte head;

/* committed tables */
byte cur[K];
byte hcnt[N * K];
byte hval[N * K];
byte ecnt[N];
byte cursor;

byte crashes;

/* rule tags, always true, named in assertion messages (P1..P3 alone clash with names
 * in pan's C code); W tags the witnesses */
bool P1_ = true, P2_ = true, P3_ = true, W = true;
#ifdef WITNESS_RESUME
bool resumed;           /* the projector restarted with part of the log projected */
#endif

/* scratch for the checker, used only inside one atomic step */
hidden byte c_p, c_k, c_q, c_v, c_b, c_a;
hidden byte c_w[K];
hidden byte c_d[K];

/* doc: per object the winning set (or NONE) and whether it was deleted */
#define VIS(w, d)   ((d) -> 0 : ((w) == NONE -> 0 : (w) + 1))

/* apply edit E to a doc (W, D) */
#define APPLY(E, W, D) \
  if \
  :: ISDEL(E) -> D[OBJ(E)] = true \
  :: else -> \
     if \
     :: W[OBJ(E)] == NONE || STAMP(E) > STAMP(W[OBJ(E)]) -> W[OBJ(E)] = E \
     :: else \
     fi \
  fi

/* scene_at(q) for object o, read from the history table alone: the value in the row
 * of the latest entry before position q that changed o; no such row: not in the scene */
inline scene_at(sa_q, sa_o, sa_out) {
  sa_out = 0; c_p = 0;
  do
#ifdef MUTANT_TT_OFF_BY_ONE
  :: c_p <= sa_q && c_p < N ->
#else
  :: c_p < sa_q ->
#endif
     if :: hcnt[c_p * K + sa_o] > 0 -> sa_out = hval[c_p * K + sa_o] :: else fi;
     c_p++
  :: else -> break
  od
}

/* The committed tables against the specification: a fresh doc folded over the log
 * prefix the cursor names. Run after every change of the tables (tagged [P1]) and after
 * every restart (tagged [P2]: what a crash left behind). */
inline check(ck) {
  c_w[0] = NONE; c_w[1] = NONE; c_d[0] = false; c_d[1] = false;
  c_q = 0;
  do
  :: c_q <= cursor ->
     /* [P3] time travel to position c_q gives the fold of the first c_q entries */
     c_k = 0;
     do
     :: c_k < K -> scene_at(c_q, c_k, c_v);
                   assert(P3_ && c_v == VIS(c_w[c_k], c_d[c_k])); c_k++
     :: else -> break
     od;
     if
     :: c_q < cursor ->
        /* [P1]/[P2] entry c_q: one event row, and a history row exactly for the object
         * it changed (no hole, no duplicate), holding the value after it */
        assert(ck && c_q < head && ecnt[c_q] == 1);
        c_k = OBJ(log[c_q]);
        c_b = VIS(c_w[c_k], c_d[c_k]);
        APPLY(log[c_q], c_w, c_d);
        c_a = VIS(c_w[c_k], c_d[c_k]);
        assert(ck && hcnt[c_q * K + c_k] == (c_a != c_b -> 1 : 0));
        assert(ck && (c_a == c_b || hval[c_q * K + c_k] == c_a));
        assert(ck && hcnt[c_q * K + 1 - c_k] == 0)
     :: else
     fi;
     c_q++
  :: else -> break
  od;
  /* [P1] the current table is the fold of the prefix */
  assert(ck && cur[0] == VIS(c_w[0], c_d[0]) && cur[1] == VIS(c_w[1], c_d[1]));
  /* nothing projected beyond the cursor */
  c_q = cursor;
  do
  :: c_q < N -> assert(ck && ecnt[c_q] == 0 && hcnt[c_q * K] == 0 && hcnt[c_q * K + 1] == 0);
                c_q++
  :: else -> break
  od;
  c_q = 0; c_k = 0; c_v = 0; c_p = 0; c_b = 0; c_a = 0;
  c_w[0] = 0; c_w[1] = 0; c_d[0] = false; c_d[1] = false
}

/* ------------------------------------------------------------------ the log grows */
proctype appender() {
end:
  do
  :: atomic {
       head < N ->
       if :: log[head] = 0 :: log[head] = 1 :: log[head] = 2 :: log[head] = 3 :: log[head] = 4 fi;
       head++
     }
  od
}

/* ------------------------------------------------------------------ projector */
#define READ 0          /* next: read a batch after mcur and apply it to the doc */
#define COMMIT 1        /* next: commit the batch's rows and cursor */
#define COMMIT2 2       /* (mutants) next: the second of two transactions */

/* rows of the batch: events, history (only for entries that changed their object),
 * and the current table; inserts, so a second write of a row shows as a duplicate */
#define WRITE_ROWS() \
  i = 0; \
  do \
  :: i < n -> \
     WITNESS_ROW(); \
     ecnt[mcur + i]++; \
     if \
     :: chg[i] -> hcnt[(mcur + i) * K + OBJ(log[mcur + i])]++; \
                  hval[(mcur + i) * K + OBJ(log[mcur + i])] = val[i] \
     :: else \
     fi; \
     i++ \
  :: else -> break \
  od; \
  i = 0; \
  cur[0] = VIS(mw[0], md[0]); cur[1] = VIS(mw[1], md[1])

/* With two transactions a reader can look between them; with -DNO_LOOK_BETWEEN the
 * tables are checked only after the second, to show that a crash between the two is
 * enough to break [P1]/[P2] even for a reader that never looks there. */
#ifdef NO_LOOK_BETWEEN
#define BETWEEN() skip
#else
#define BETWEEN() check(P1_)
#endif

#if defined(WITNESS_NOCHANGE)
#define WITNESS_ROW() assert(W && chg[i])
#elif defined(WITNESS_DELETE)
#define WITNESS_ROW() assert(W && !(chg[i] && val[i] == 0))
#else
#define WITNESS_ROW() skip
#endif

#define CLEARBATCH() \
  i = 0; do :: i < B -> chg[i] = false; val[i] = 0; i++ :: else -> break od; i = 0

#define DONE() \
  mcur = mcur + n; n = 0; CLEARBATCH(); pc = READ

proctype projector() {
  /* memory, lost in a crash */
  byte mcur;            /* the cursor the projector works from */
  byte n;               /* entries in the batch being projected */
  byte mw[K];           /* its doc */
  bool md[K];
  bool chg[B];          /* per batch entry: did it change its object, and the value after */
  byte val[B];
  byte pc = READ;
  byte i, o, before;

  mw[0] = NONE; mw[1] = NONE;
end:
  do
  :: atomic {   /* read a batch after mcur (1 to B entries, at most what is there) and
                 apply it to the doc: memory only, so one step */
       pc == READ && head > mcur ->
       n = 1;
       do
       :: n < B && mcur + n < head -> n++
       :: break
       od;
       i = 0;
       do
       :: i < n ->
          o = OBJ(log[mcur + i]);
          before = VIS(mw[o], md[o]);
          APPLY(log[mcur + i], mw, md);
          chg[i] = (VIS(mw[o], md[o]) != before);
          val[i] = VIS(mw[o], md[o]);
          i++
       :: else -> break
       od;
       i = 0; o = 0; before = 0;
       pc = COMMIT
     }
#if defined(MUTANT_CURSOR_SEPARATE)
  :: atomic { pc == COMMIT -> WRITE_ROWS(); pc = COMMIT2; BETWEEN() }
  :: atomic { pc == COMMIT2 -> cursor = mcur + n; DONE(); check(P1_) }
#elif defined(MUTANT_CURSOR_FIRST)
  :: atomic { pc == COMMIT -> cursor = mcur + n; pc = COMMIT2; BETWEEN() }
  :: atomic { pc == COMMIT2 -> WRITE_ROWS(); DONE(); check(P1_) }
#else
  :: atomic {   /* [P2] one transaction: rows and cursor together */
       pc == COMMIT ->
#ifdef WITNESS_RESUME
       assert(W && !resumed);
#endif
       WRITE_ROWS(); cursor = mcur + n; DONE(); check(P1_)
     }
#endif
  :: atomic {   /* crash at any step, then restart from the committed cursor */
       crashes < CRASHES -> crashes++;
       pc = READ; n = 0; CLEARBATCH();
       mw[0] = NONE; mw[1] = NONE; md[0] = false; md[1] = false;
       mcur = cursor;
#ifndef MUTANT_COLD_DOC
       /* rebuild the doc of the committed prefix ([C2]: replay into a fresh doc) */
       i = 0;
       do
       :: i < mcur -> APPLY(log[i], mw, md); i++
       :: else -> break
       od;
       i = 0;
#endif
#ifdef WITNESS_RESUME
       resumed = (mcur > 0 && mcur < N);
#endif
       check(P2_)
     }
  od
}

init {
  atomic { run appender(); run projector() }
}
