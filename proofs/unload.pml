/*
 * unload.pml — loading, failing to load and unloading a room, model-checked with SPIN.
 *
 * Abstracts the behaviour of these files; when one of them changes, revisit this model
 * and proofs/README.md:
 *   src/server/sync-server.ts    room(): a loaded room, else the one loading, else a new
 *                                one (kept in `loading` until its load settles; dropped
 *                                when it fails); scheduleUnload: a loaded room with no
 *                                attached connection and no append in flight unloads
 *   src/server/room.ts           attach/detach (every connection, loading or not), ready,
 *                                pending appends, close
 *   src/server/connection.ts     attaches at once; joins the room's peers once it is
 *                                loaded; is closed (4500) when the load fails
 *
 * Rules (/work/shared/DESIGN.md): [S1] content is broadcast to every connection of the
 * room, so a connection is never joined to a room instance that was unloaded or
 * dropped (there is one doc per room, and every connection is on it); [S2] a room is
 * loaded before it serves, and a failed load is never served: it is dropped and the
 * next connection loads again, so once faults stop every client ends up served; [C1]
 * once all is quiet the room's doc holds exactly the log.
 *
 * Actors: clients 0 and 1, each making at most EDITS edits, connecting whenever they are
 * off (at most ATTEMPTS times) and dropping at most DROPS times; the server's room,
 * whose loads can fail (FAILS times in all); the log; an observer that checks the
 * quiet end state. A room instance is abstract: the live one is `rstate` and `doc`; a
 * connection whose instance was unloaded or dropped is `stale`. An edit is one bit;
 * the content of a doc is the set of edits it holds.
 *
 * Mutants (spin -DMUTANT_...), each rejected for the rule in brackets:
 *   UNLOAD_WHILE_LOADING  unload counts only joined peers (as before this model): a
 *                         room unloads under a connection still waiting for its load  [S1]
 *   FAILED_LOAD_CACHED    a room whose load failed stays cached: every later
 *                         connection is closed at once                               [S2]
 *   UNLOAD_WITH_PENDING   unload ignores appends in flight: the room loaded anew
 *                         misses an edit that becomes durable after it loaded        [C1]
 * Witnesses (spin -DWITNESS_...), assertions that must fail:
 *   RELOAD     a room unloaded and loaded again, with edits in the log
 *   RETRY      a failed load followed by a client served
 */

#define NC 2
#ifndef EDITS
#define EDITS 1
#endif
#ifndef DROPS
#define DROPS 1
#endif
#ifndef FAILS
#define FAILS 1
#endif
/* enough attempts for every drop and every failed load, and one more to get in */
#define ATTEMPTS (DROPS + FAILS + 1)

#define ABSENT  0
#define LOADING 1
#define LOADED  2
#define FAILED  3       /* only in FAILED_LOAD_CACHED */

#define OFF     0
#define WAITING 1       /* attached, waiting for the load */
#define JOINED  2       /* a peer of the room's doc */

#define BIT(e)  (1 << (e))
#define EDIT(c, n) ((c) * EDITS + (n))

byte rstate = ABSENT;   /* the live room instance */
byte doc;               /* its doc (when LOADED) */
byte logm;              /* the log: edits durable */
byte pendCur;           /* appends in flight from connections of the live instance */
byte pendOld;           /* appends in flight from an instance already unloaded */

byte phase[NC];
bool stale[NC];         /* attached to an instance that was unloaded or dropped */
byte made[NC], drops[NC], attempts[NC];
byte fails;
#ifdef WITNESS_RELOAD
bool unloadedOnce;
#endif
#ifdef WITNESS_RETRY
bool failedOnce;
#endif

bool S1 = true, S2 = true, C1 = true, W = true;
hidden byte h_c, h_n;

/* connections the unload check counts */
#ifdef MUTANT_UNLOAD_WHILE_LOADING
#define COUNTED(c) (phase[c] == JOINED && !stale[c])
#else
#define COUNTED(c) (phase[c] != OFF && !stale[c])
#endif
#define ATTACHED (COUNTED(0) + COUNTED(1))

#ifdef MUTANT_UNLOAD_WHILE_LOADING
#define UNLOADABLE (rstate == LOADED || rstate == LOADING)
#else
#define UNLOADABLE (rstate == LOADED)
#endif
#ifdef MUTANT_UNLOAD_WITH_PENDING
#define SETTLED true
#else
#define SETTLED (pendCur == 0)
#endif

inline connect(c) {
  attempts[c]++;
  if
  :: rstate == ABSENT -> rstate = LOADING; phase[c] = WAITING
  :: rstate == FAILED -> skip   /* closed at once: 4500 room failed to load */
  :: rstate == LOADING || rstate == LOADED -> phase[c] = WAITING
  fi;
  stale[c] = false
}

inline close(c) {
  phase[c] = OFF; stale[c] = false
}

/* the live instance goes away: its attached connections are left on a dead doc */
inline orphan() {
  h_c = 0;
  do
  :: h_c < NC -> if :: phase[h_c] != OFF -> stale[h_c] = true :: else fi; h_c++
  :: else -> break
  od
}

active proctype server() {
end:
  do
  :: atomic { phase[0] == OFF && attempts[0] < ATTEMPTS -> connect(0) }
  :: atomic { phase[1] == OFF && attempts[1] < ATTEMPTS -> connect(1) }
  :: atomic {   /* the load completes: snapshot + tail, i.e. the log as it is now */
       rstate == LOADING -> rstate = LOADED; doc = logm
#ifdef WITNESS_RELOAD
       ; assert(W && !(unloadedOnce && logm != 0))
#endif
     }
  :: atomic {   /* the load fails: its connections are closed */
       rstate == LOADING && fails < FAILS -> fails++;
#ifdef WITNESS_RETRY
       failedOnce = true;
#endif
       h_c = 0;
       do
       :: h_c < NC -> if :: phase[h_c] == WAITING && !stale[h_c] -> close(h_c) :: else fi; h_c++
       :: else -> break
       od;
#ifdef MUTANT_FAILED_LOAD_CACHED
       rstate = FAILED
#else
       rstate = ABSENT
#endif
     }
  :: atomic {   /* a waiting connection joins once its instance is loaded (a dead one's load completes too) */
       phase[0] == WAITING && (rstate == LOADED || stale[0]) -> phase[0] = JOINED;
       assert(S1 && !stale[0])
#ifdef WITNESS_RETRY
       ; assert(W && !failedOnce)
#endif
     }
  :: atomic {
       phase[1] == WAITING && (rstate == LOADED || stale[1]) -> phase[1] = JOINED;
       assert(S1 && !stale[1])
#ifdef WITNESS_RETRY
       ; assert(W && !failedOnce)
#endif
     }
  :: atomic {   /* an edit: appended; applied and broadcast once durable */
       phase[0] == JOINED && made[0] < EDITS -> h_n = BIT(EDIT(0, made[0])); made[0]++;
       if :: stale[0] -> pendOld = pendOld | h_n :: else -> pendCur = pendCur | h_n fi
     }
  :: atomic {
       phase[1] == JOINED && made[1] < EDITS -> h_n = BIT(EDIT(1, made[1])); made[1]++;
       if :: stale[1] -> pendOld = pendOld | h_n :: else -> pendCur = pendCur | h_n fi
     }
  :: atomic {   /* an append of the live instance resolves: in the log, then in its doc */
       pendCur != 0 ->
       if
       :: pendCur & 1 -> h_n = 1
       :: pendCur & 2 -> h_n = 2
       :: pendCur & 4 -> h_n = 4
       :: pendCur & 8 -> h_n = 8
       fi;
       logm = logm | h_n; doc = doc | h_n; pendCur = pendCur & ~h_n
     }
  :: atomic {   /* an append of an unloaded instance resolves: in the log only */
       pendOld != 0 ->
       if
       :: pendOld & 1 -> h_n = 1
       :: pendOld & 2 -> h_n = 2
       :: pendOld & 4 -> h_n = 4
       :: pendOld & 8 -> h_n = 8
       fi;
       logm = logm | h_n; pendOld = pendOld & ~h_n
     }
  :: atomic { phase[0] != OFF && drops[0] < DROPS -> drops[0]++; close(0) }
  :: atomic { phase[1] != OFF && drops[1] < DROPS -> drops[1]++; close(1) }
  :: atomic {   /* the unload timer fires */
       UNLOADABLE && ATTACHED == 0 && SETTLED ->
       rstate = ABSENT; pendOld = pendOld | pendCur; pendCur = 0; doc = 0;
#ifdef WITNESS_RELOAD
       unloadedOnce = true;
#endif
       orphan()
     }
  od
}

/* Once nothing can move (every append resolved, every budget spent), every client is
 * served by the live room and the room holds exactly the log. */
active proctype quiet() {
  atomic {
    timeout ->
    assert(S2 && phase[0] == JOINED && !stale[0]);
    assert(S2 && phase[1] == JOINED && !stale[1]);
    assert(C1 && rstate == LOADED && doc == logm)
  }
}
