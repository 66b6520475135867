/*
 * sync.pml — the sync protocol and its durability, model-checked with SPIN.
 *
 * Abstracts the behaviour of these files; when one of them changes, revisit this model
 * and proofs/README.md:
 *   src/server/room.ts           per-room doc; content: append, then (once durable) apply
 *                                and broadcast to every peer, the sender included
 *   src/server/connection.ts     the y-websocket messages (the planned sync-protocol.ts):
 *                                waits for the room to load, greets with sync step 1,
 *                                answers step 1, turns step 2 and updates into appends;
 *                                roles; skips a step 2 that adds nothing
 *   src/server/sync-server.ts    rooms loaded on a first connection
 *   src/projection/load-room.ts  loading a room: latest snapshot + log tail
 *   src/log/sqlite-event-log.ts  append resolves only once durable (group commit)
 *
 * Rules (/work/shared/DESIGN.md): [L1] [S1] [S2] [S3] [C1]. Every assertion starts with
 * its rule's tag (a global that is always true), so a counterexample names its rule.
 *
 * Actors: clients A and B (write role) and R (read-only role), one server with one room,
 * the event log, the network, and an observer that checks convergence once all is quiet.
 * CLIENTS (a bit mask: 1 = A, 2 = B, 4 = R) says which clients take part in a run.
 *
 * CRDT abstraction. An edit is one Yjs struct: edit e is made by client e/2, is that
 * client's (e%2)-th struct, writes key e%2 of a last-writer-wins map, and carries the
 * Lamport clock of its author (1 + the greatest clock among the edits it had
 * integrated). A store is the set (bit mask) of edits it holds. As in Yjs:
 *   - its state vector is, per client, the contiguous prefix of that client's edits;
 *   - an edit whose predecessor is missing is held pending, not integrated, yet it is
 *     part of the store and of any diff sent from it (Yjs sends pending structs too);
 *   - the diff answering a state vector sv is store & ~sv;
 *   - its content is, per key, the integrated edit with the greatest (clock, client).
 * Merging is set union: commutative, associative, idempotent, like the per-key max.
 *
 * Network. Content on the wire (updates and sync step 2, each a set of edits) is kept,
 * per connection and direction, as the union of what was sent and not yet received,
 * and is received one edit at a time in any order. Every way a WebSocket can deliver
 * content (in order, in any grouping) is among these behaviours, and so is any
 * reordering or duplication (receiving a set is idempotent), so what holds here holds
 * for them. A sync step 1 is a separate slot per direction. A connection can be dropped
 * at any time (bounded), losing what is on it both ways; the client reconnects when it
 * likes (it may edit offline meanwhile) and resyncs as y-websocket does: it sends sync
 * step 1; the server, once its room is loaded, greets with its own sync step 1; each
 * side answers a step 1 with a step 2 carrying what the other lacks. The server can
 * crash at any step (bounded): room, connections and appends in progress are lost, the
 * log is kept; it restarts at once and loads the room from the log before serving.
 *
 * Mutants (spin -DMUTANT_...), each rejected for the rule in brackets:
 *   BCAST_BEFORE_APPEND  content applied and broadcast (echoed) before its append [L1]/[S1]
 *   STEP2_UNLOGGED       a client's sync step 2 applied to the room and broadcast
 *                        without an append, as the stock y-websocket server does  [S1]
 *   SERVE_BEFORE_LOAD    sync messages answered while the room is still loading   [S2]
 *   RO_STEP2             read-only role checked on updates, not on sync step 2    [S3]
 *   NO_RESYNC            a reconnect that skips the sync handshake                [C1]
 *
 * Witnesses (spin -DWITNESS_...): assertions that must FAIL, showing that the situation
 * they name is reached, so the checks above are not vacuous:
 *   GAP        the room holds an edit whose predecessor it lacks (pending in Yjs)
 *   RESEND     an edit the log already holds is appended again (a resend after a drop)
 *   REFUSED    content from the read-only client reaches the server and is refused
 *   OFFLINE    an edit made while disconnected ends up in the log
 *   QUIET      the system goes quiet after a crash, with edits in the log
 */

/* ---------------------------------------------------------------- bounds */
#define NC 3            /* client slots: 0 = A, 1 = B (write), 2 = R (read-only) */
#define RO 2            /* the read-only client */
#define NE 6            /* edit slots: 2 per client */
#define NK 2            /* keys of the last-writer-wins map */
#ifndef CLIENTS
#define CLIENTS 7       /* who takes part: 1 = A, 2 = B, 4 = R */
#endif
#ifndef EDITS_A
#define EDITS_A 2
#endif
#ifndef EDITS_B
#define EDITS_B 1
#endif
#ifndef EDITS_R
#define EDITS_R 1
#endif
#ifndef DROPS
#define DROPS 2         /* dropped connections, whole run */
#endif
#ifndef CRASHES
#define CRASHES 1       /* server crashes, whole run */
#endif
#define NONE 255

/* ---------------------------------------------------------------- edits, stores */
#define BIT(e)       (1 << (e))
#define HAS(S, e)    (((S) >> (e)) & 1)
#define OWNER(e)     ((e) / 2)
#define KEY(e)       ((e) % 2)
#define OWN(c)       (3 << (2 * (c)))
#define ROMASK       OWN(RO)
/* a state vector, as the set of edits it covers: per client the contiguous prefix, so a
 * client's second edit counts only if its first is there (21 = the first edits 0, 2, 4) */
#define CONTIG(S)    ((S) & ~((~(S) & 21) << 1) & 63)
#define PRESENT(c)   ((CLIENTS >> (c)) & 1)
#define MAXEDITS(c)  (PRESENT(c) -> ((c) == 0 -> EDITS_A : ((c) == 1 -> EDITS_B : EDITS_R)) : 0)

/* ---------------------------------------------------------------- state */
byte logm;              /* the event log (durable): every edit appended so far */
byte room;              /* server memory: the room's doc */
bool loaded = true;     /* room loaded (initially the log and the room are empty) */
#ifdef MUTANT_BCAST_BEFORE_APPEND
byte appending;         /* appends in progress (server memory) */
#endif

bool up[NC];            /* client c's connection is open */
bool greeted[NC];       /* the server has sent its sync step 1 on it */
byte rep[NC];           /* client replicas (stores) */
byte nedits[NC];
byte clk[NE];           /* Lamport clock of each edit, fixed when it is made */

/* on the wire, per connection */
byte upd[NC];           /* client -> server: updates (content) */
byte st2[NC];           /* client -> server: sync step 2 (content) */
bool st1[NC];           /* client -> server: sync step 1 (its state vector: see step1) */
byte down[NC];          /* server -> client: sync step 2 and updates (content) */
bool sst1[NC];          /* server -> client: sync step 1 ... */
byte sst1sv[NC];        /* ... and the state vector it carries */

bool stop;              /* from now on no more edits or faults */
byte drops, crashes;

/* rule tags: always true, named in assertion messages; W tags the witnesses */
bool L1 = true, S1 = true, S2 = true, S3 = true, C1 = true, W = true;
#ifdef WITNESS_OFFLINE
byte offline;           /* edits made while disconnected */
#endif

hidden byte h_i, h_t, h_w, h_m, h_e;   /* scratch, used only within one atomic step */

/* A writer's updates and sync step 2 are handled alike (appended, or skipped when the
 * room already holds them: see content), and so are the read-only client's (refused):
 * unless a mutant tells them apart, one set holds both kinds. */
#if defined(MUTANT_RO_STEP2) || defined(MUTANT_STEP2_UNLOGGED)
#define ST2 st2
#else
#define ST2 upd
#endif

/* ---------------------------------------------------------------- helpers */
/* h_e := any one edit of the non-empty set pk_s */
inline pick(pk_s) {
  if
  :: HAS(pk_s, 0) -> h_e = 0
  :: HAS(pk_s, 1) -> h_e = 1
  :: HAS(pk_s, 2) -> h_e = 2
  :: HAS(pk_s, 3) -> h_e = 3
  :: HAS(pk_s, 4) -> h_e = 4
  :: HAS(pk_s, 5) -> h_e = 5
  fi
}

/* wn_out := the winning edit on key wn_k among the integrated edits of store h_m */
inline winner(wn_k, wn_out) {
  wn_out = NONE; h_i = 0; h_m = CONTIG(h_m);
  do
  :: h_i < NE ->
     if
     :: HAS(h_m, h_i) && KEY(h_i) == wn_k &&
        (wn_out == NONE || clk[h_i] > clk[wn_out] ||
         (clk[h_i] == clk[wn_out] && OWNER(h_i) > OWNER(wn_out))) -> wn_out = h_i
     :: else
     fi;
     h_i++
  :: else -> break
  od
}

/* h_t := the greatest clock among the integrated edits of store h_m */
inline maxclock() {
  h_t = 0; h_i = 0; h_m = CONTIG(h_m);
  do
  :: h_i < NE -> if :: HAS(h_m, h_i) && clk[h_i] > h_t -> h_t = clk[h_i] :: else fi; h_i++
  :: else -> break
  od
}

/* The server puts content sv_m on client sv_i's connection: the moment it becomes
 * visible, so the durability checks are made here. Reduction: the part the client
 * already holds would change nothing when received (stores only grow), so only the
 * rest goes on the wire. */
inline serve(sv_i, sv_m) {
  assert(L1 && (sv_m & OWN(sv_i) & ~logm) == 0);   /* an ack names only durable edits */
  assert(S1 && (sv_m & ~logm) == 0);               /* durable before visible */
  down[sv_i] = down[sv_i] | (sv_m & ~rep[sv_i])
}

inline broadcast(bc_m) {   /* to every open connection, the sender's included: its ack */
  if :: up[0] -> serve(0, bc_m) :: else fi;
  if :: up[1] -> serve(1, bc_m) :: else fi;
  if :: up[2] -> serve(2, bc_m) :: else fi
}

inline greet(gr_i) {   /* the server's sync step 1 on connection gr_i */
  greeted[gr_i] = true;
#ifndef MUTANT_NO_RESYNC
  sst1[gr_i] = true; sst1sv[gr_i] = CONTIG(room)
#endif
}

inline drop(dr_i) {   /* connection dr_i dies; what is on it is lost both ways */
  up[dr_i] = false; greeted[dr_i] = false;
  upd[dr_i] = 0; st2[dr_i] = 0; st1[dr_i] = false;
  down[dr_i] = 0; sst1[dr_i] = false; sst1sv[dr_i] = 0
}

#ifdef MUTANT_SERVE_BEFORE_LOAD
#define READY true
#else
#define READY loaded
#endif

/* ---------------------------------------------------------------- client */
proctype client(byte c) {
  byte e;
end:
  do
  :: atomic {   /* a local edit, online or offline; sent at once when online */
       !stop && nedits[c] < MAXEDITS(c) ->
       e = 2 * c + nedits[c];
       h_m = rep[c]; maxclock();
       clk[e] = h_t + 1;
       rep[c] = rep[c] | BIT(e);
       nedits[c]++;
       if
       :: up[c] -> upd[c] = upd[c] | BIT(e)
       :: else ->
#ifdef WITNESS_OFFLINE
          offline = offline | BIT(e)
#else
          skip
#endif
       fi;
       e = 0; h_t = 0; h_m = 0; h_i = 0
     }
  :: atomic {   /* reconnect; the server greets at once if its room is loaded */
       !up[c] && PRESENT(c) -> up[c] = true;
       if :: READY -> greet(c) :: else fi;
#ifndef MUTANT_NO_RESYNC
       st1[c] = true
#endif
     }
  :: atomic {   /* content from the server arrives, an edit at a time, in any order */
       down[c] != 0 -> pick(down[c]);
       rep[c] = rep[c] | BIT(h_e);
       down[c] = down[c] & ~BIT(h_e);
       h_e = 0
     }
  :: atomic {   /* the server's sync step 1: answer with what it lacks */
       sst1[c] -> sst1[c] = false;
       ST2[c] = ST2[c] | (rep[c] & ~sst1sv[c]);
       sst1sv[c] = 0
     }
  od
}

/* ---------------------------------------------------------------- server */
/* [S1] Content is validated, appended, and only once the append has resolved (durable)
 * applied to the room and broadcast, the sender included. The await between receipt and
 * resolution is not a separate step: to everyone else, content whose append is pending
 * is indistinguishable from content still on the wire (not in the doc, not broadcast,
 * lost if the server dies), so it stays on the wire until this step. The room applies
 * and broadcasts in the microtask after the commit, before any other message is handled;
 * a crash or drop in between ends as one just after it would. A step commits one edit:
 * a message's edits, or several messages' (group commit), are a sequence of these.
 * connection.ts does not append a sync step 2 that adds nothing to the room (nor an
 * empty one), but appends every update, and a step 2 with anything new whole, known
 * edits included. So an edit the room holds already may be appended again or left out:
 * the model allows both, whatever the message kind. The read-only check comes after
 * the "adds nothing" check there; either way nothing is appended. */
#ifdef MUTANT_BCAST_BEFORE_APPEND
#define COMMIT(i, e) \
  assert(S3 && i != RO && (BIT(e) & ROMASK) == 0); \
  room = room | BIT(e); broadcast(BIT(e));   /* visible now ... */ \
  appending = appending | BIT(e)             /* ... durable later, if ever */
#else
#define COMMIT(i, e) \
  assert(S3 && i != RO && (BIT(e) & ROMASK) == 0);   /* read-only: never appended */ \
  WITNESS_RESEND_CHECK(e); \
  logm = logm | BIT(e);                      /* the append resolved: durable */ \
  room = room | BIT(e);                      /* apply */ \
  WITNESS_GAP_CHECK(); \
  broadcast(BIT(e))                          /* show, the sender included */
#endif
#ifdef WITNESS_RESEND
#define WITNESS_RESEND_CHECK(e) assert(W && (BIT(e) & logm) == 0)
#else
#define WITNESS_RESEND_CHECK(e) skip
#endif
#ifdef WITNESS_GAP
#define WITNESS_GAP_CHECK() assert(W && CONTIG(room) == room)
#else
#define WITNESS_GAP_CHECK() skip
#endif

inline content(ct_i, ct_e, ct_step2) {
  if
#ifdef MUTANT_RO_STEP2
  :: ct_i == RO && !ct_step2 -> skip        /* refused */
#else
  :: ct_i == RO ->                          /* refused: read-only */
#ifdef WITNESS_REFUSED
     assert(W && false)
#else
     skip
#endif
#endif
  :: else ->
     if
     :: (BIT(ct_e) & room) != 0 ->
        skip   /* the room holds it already: may be left out (see above) */
     :: true ->
#ifdef MUTANT_STEP2_UNLOGGED
        if
        :: ct_step2 -> room = room | BIT(ct_e); broadcast(BIT(ct_e))
        :: else -> COMMIT(ct_i, ct_e)
        fi
#else
        COMMIT(ct_i, ct_e)
#endif
     fi
  fi
}

/* The client's sync step 1: serve room & ~sv, what its state vector sv lacks. Since sv
 * covers only edits the client holds and serve() sends only what the client does not
 * hold, that is the same as serving the room whatever sv was, so sv is not kept.
 * [S2]: the state the client is served (its store plus the reply) holds every durable
 * edit, hence every acknowledged one. */
inline step1(s1_i) {
  assert(S2 && (logm & ~(rep[s1_i] | room)) == 0);
  serve(s1_i, room);
  st1[s1_i] = false
}

#define RECV(i) \
  :: atomic { READY && st1[i] -> step1(i) } \
  :: atomic { READY && upd[i] != 0 -> pick(upd[i]); upd[i] = upd[i] & ~BIT(h_e); \
                                      content(i, h_e, false); h_e = 0 } \
  :: atomic { READY && st2[i] != 0 -> pick(st2[i]); st2[i] = st2[i] & ~BIT(h_e); \
                                      content(i, h_e, true); h_e = 0 }

proctype server() {
end:
  do
  :: atomic {   /* (re)load the room: snapshot + log tail; then greet who is waiting */
       !loaded -> room = room | logm; loaded = true;
       if :: up[0] && !greeted[0] -> greet(0) :: else fi;
       if :: up[1] && !greeted[1] -> greet(1) :: else fi;
       if :: up[2] && !greeted[2] -> greet(2) :: else fi
     }
  RECV(0)
  RECV(1)
  RECV(2)
#ifdef MUTANT_BCAST_BEFORE_APPEND
  :: atomic {   /* an append resolves */
       appending != 0 -> pick(appending);
       logm = logm | BIT(h_e); appending = appending & ~BIT(h_e); h_e = 0
     }
#endif
  od
}

/* ---------------------------------------------------------------- faults */
proctype network() {
end:
  do
  :: atomic { !stop && drops < DROPS && up[0] -> drops++; drop(0) }
  :: atomic { !stop && drops < DROPS && up[1] -> drops++; drop(1) }
  :: atomic { !stop && drops < DROPS && up[2] -> drops++; drop(2) }
  :: atomic {   /* server crash: memory lost, log kept; it restarts and must reload */
       !stop && crashes < CRASHES -> crashes++;
       loaded = false; room = 0;
#ifdef MUTANT_BCAST_BEFORE_APPEND
       appending = 0;
#endif
       drop(0); drop(1); drop(2)
     }
  od
}

/* ---------------------------------------------------------------- [C1] */
/* At any moment edits and faults may cease for good. When nothing else can move
 * (timeout: everything sent has been received, every client is connected and synced)
 * every replica must hold the same content. R's own edits were refused, so R is
 * compared without them (it still shows them locally: see proofs/README.md). */
proctype quiet() {
  byte k, w;
  stop = true;
  atomic {
    timeout ->
    assert(C1 && loaded && room == logm);
    assert(C1 && (logm & ROMASK) == 0);
    assert(C1 && CONTIG(logm) == logm);   /* nothing left pending anywhere */
    assert(C1 && (!PRESENT(0) || rep[0] == logm));
    assert(C1 && (!PRESENT(1) || rep[1] == logm));
    assert(C1 && (!PRESENT(2) || (rep[2] & ~ROMASK) == logm));
#ifdef WITNESS_OFFLINE
    assert(W && (offline & logm) == 0);
#endif
#ifdef WITNESS_QUIET
    assert(W && !(crashes > 0 && logm != 0));
#endif
    k = 0;
    do
    :: k < NK ->   /* per key, the log's winner is every replica's winner */
       h_m = logm;              winner(k, w);
       h_m = room;              winner(k, h_w); assert(C1 && h_w == w);
       h_m = rep[0];            winner(k, h_w); assert(C1 && (!PRESENT(0) || h_w == w));
       h_m = rep[1];            winner(k, h_w); assert(C1 && (!PRESENT(1) || h_w == w));
       h_m = rep[2] & ~ROMASK;  winner(k, h_w); assert(C1 && (!PRESENT(2) || h_w == w));
       k++
    :: else -> break
    od
  }
}

init {
  atomic {
    /* the clients taking part are connected and synced: all stores empty */
    up[0] = PRESENT(0); up[1] = PRESENT(1); up[2] = PRESENT(2);
    greeted[0] = PRESENT(0); greeted[1] = PRESENT(1); greeted[2] = PRESENT(2);
    run client(0); run client(1); run client(2);
    run server(); run network(); run quiet()
  }
}
