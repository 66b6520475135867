#!/usr/bin/env bash
# Model-checks proofs/*.pml with SPIN: every model must verify (no error, whole state
# space explored), every mutant must be rejected for its rule, and every witness (a
# situation the models must reach, so their checks are not vacuous) must be reached.
# One line per run: name, verdict, states stored, transitions, depth, seconds.
# Exits non-zero if a model fails, a mutant passes or a witness is not reached.
# Needs spin (Debian package "spin") and gcc. Works in a temporary directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in spin gcc; do
  command -v "$tool" >/dev/null 2>&1 || { echo "proofs: $tool not found (apt-get install -y spin gcc)" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/scenesync-proofs.XXXXXX")"
trap 'rm -rf "$work"' EXIT

DEPTH=200000   # pan -m: far above the depths reached (under 1,000); checked below
HASH=24        # pan -w: 2^24 hash slots

# Bounds, one set per run configuration (see proofs/README.md).
SYNC_AB="-DCLIENTS=3 -DEDITS_A=2 -DEDITS_B=2 -DDROPS=2 -DCRASHES=2"
SYNC_AR="-DCLIENTS=5 -DEDITS_A=2 -DEDITS_R=2 -DDROPS=3 -DCRASHES=2"
SYNC_ABR_DROP="-DCLIENTS=7 -DEDITS_A=2 -DEDITS_B=1 -DEDITS_R=1 -DDROPS=1 -DCRASHES=0"
SYNC_ABR_CRASH="-DCLIENTS=7 -DEDITS_A=1 -DEDITS_B=1 -DEDITS_R=1 -DDROPS=0 -DCRASHES=1"
PROJ="-DN=5 -DB=3 -DCRASHES=3"
UNLOAD="-DEDITS=2 -DDROPS=2 -DFAILS=2"

# name ; model ; expect (verified | caught | reached) ; spin -D flags ; rule tags expected
runs=(
  "sync A+B (2 drops, 2 crashes)   ;sync      ;verified;$SYNC_AB;"
  "sync A+R (3 drops, 2 crashes)   ;sync      ;verified;$SYNC_AR;"
  "sync A+B+R (1 drop)             ;sync      ;verified;$SYNC_ABR_DROP;"
  "sync A+B+R (1 crash)            ;sync      ;verified;$SYNC_ABR_CRASH;"
  "projection                      ;projection;verified;$PROJ;"
  "mutant BCAST_BEFORE_APPEND      ;sync      ;caught  ;$SYNC_AB -DMUTANT_BCAST_BEFORE_APPEND;L1|S1"
  "mutant STEP2_UNLOGGED           ;sync      ;caught  ;$SYNC_AB -DMUTANT_STEP2_UNLOGGED;L1|S1"
  "mutant SERVE_BEFORE_LOAD        ;sync      ;caught  ;$SYNC_AB -DMUTANT_SERVE_BEFORE_LOAD;S2"
  "mutant RO_STEP2                 ;sync      ;caught  ;$SYNC_AR -DMUTANT_RO_STEP2;S3"
  "mutant NO_RESYNC                ;sync      ;caught  ;$SYNC_AB -DMUTANT_NO_RESYNC;C1"
  "mutant CURSOR_SEPARATE          ;projection;caught  ;$PROJ -DMUTANT_CURSOR_SEPARATE;P1"
  "mutant CURSOR_SEPARATE, crash   ;projection;caught  ;$PROJ -DMUTANT_CURSOR_SEPARATE -DNO_LOOK_BETWEEN;P2"
  "mutant CURSOR_FIRST             ;projection;caught  ;$PROJ -DMUTANT_CURSOR_FIRST;P1"
  "mutant CURSOR_FIRST, crash      ;projection;caught  ;$PROJ -DMUTANT_CURSOR_FIRST -DNO_LOOK_BETWEEN;P2"
  "mutant COLD_DOC                 ;projection;caught  ;$PROJ -DMUTANT_COLD_DOC;P1"
  "mutant TT_OFF_BY_ONE            ;projection;caught  ;$PROJ -DMUTANT_TT_OFF_BY_ONE;P3"
  "witness GAP                     ;sync      ;reached ;$SYNC_AB -DWITNESS_GAP;W"
  "witness RESEND                  ;sync      ;reached ;$SYNC_AB -DWITNESS_RESEND;W"
  "witness OFFLINE                 ;sync      ;reached ;$SYNC_AB -DWITNESS_OFFLINE;W"
  "witness QUIET                   ;sync      ;reached ;$SYNC_AB -DWITNESS_QUIET;W"
  "witness REFUSED                 ;sync      ;reached ;$SYNC_AR -DWITNESS_REFUSED;W"
  "witness NOCHANGE                ;projection;reached ;$PROJ -DWITNESS_NOCHANGE;W"
  "witness DELETE                  ;projection;reached ;$PROJ -DWITNESS_DELETE;W"
  "witness RESUME                  ;projection;reached ;$PROJ -DWITNESS_RESUME;W"
  "unload                          ;unload    ;verified;$UNLOAD;"
  "mutant UNLOAD_WHILE_LOADING     ;unload    ;caught  ;$UNLOAD -DMUTANT_UNLOAD_WHILE_LOADING;S1"
  "mutant FAILED_LOAD_CACHED       ;unload    ;caught  ;$UNLOAD -DMUTANT_FAILED_LOAD_CACHED;S2"
  "mutant UNLOAD_WITH_PENDING      ;unload    ;caught  ;$UNLOAD -DMUTANT_UNLOAD_WITH_PENDING;C1"
  "witness RELOAD                  ;unload    ;reached ;$UNLOAD -DWITNESS_RELOAD;W"
  "witness RETRY                   ;unload    ;reached ;$UNLOAD -DWITNESS_RETRY;W"
)

trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

echo "proofs: $(spin -V 2>&1 | head -n1)"
printf '%-33s %-9s %12s %12s %6s %8s\n' "run" "verdict" "states" "transitions" "depth" "seconds"

failed=0
start=$SECONDS
i=0
for run in "${runs[@]}"; do
  IFS=';' read -r name model expect flags tags <<<"$run"
  name="$(trim "$name")"; model="$(trim "$model")"; expect="$(trim "$expect")"; tags="$(trim "$tags")"
  i=$((i + 1))
  dir="$work/$i"
  mkdir -p "$dir"
  cp "$here/$model.pml" "$dir/"
  verdict=FAILED
  why=""
  states="-"; transitions="-"; depth="-"; secs="-"
  # models are big: optimise; mutants and witnesses stop early: compile fast
  opt=-O0; [ "$expect" = verified ] && opt=-O2
  # shellcheck disable=SC2086  # flags are word-split on purpose
  if ! (cd "$dir" && spin -a $flags "$model.pml") >"$dir/spin.out" 2>&1; then
    why="spin -a failed"
  elif ! (cd "$dir" && gcc "$opt" -w -DSAFETY -o pan pan.c) >"$dir/gcc.out" 2>&1; then
    why="gcc failed"
  else
    (cd "$dir" && ./pan -m"$DEPTH" -w"$HASH") >"$dir/pan.out" 2>&1 || true
    out="$dir/pan.out"
    errors="$(awk 'match($0, /errors: [0-9]+/) { print substr($0, RSTART + 8, RLENGTH - 8); exit }' "$out")"
    states="$(awk '/states, stored/ { print $1; exit }' "$out")"
    transitions="$(awk '/transitions \(= stored\+matched\)/ { print $1; exit }' "$out")"
    depth="$(awk 'match($0, /depth reached [0-9]+/) { print substr($0, RSTART + 14, RLENGTH - 14); exit }' "$out")"
    secs="$(awk '/pan: elapsed time/ { print $4; exit }' "$out")"
    violated="$(grep -m1 'assertion violated' "$out" || true)"
    if [ -z "$errors" ]; then
      why="no result from pan"
    elif [ "$expect" = verified ]; then
      if [ "$errors" != 0 ]; then
        why="$(grep -m1 -E 'assertion violated|invalid end state|error' "$out" || echo "errors: $errors")"
      elif grep -q 'max search depth too small' "$out"; then
        why="search truncated: max search depth too small"
      elif ! grep -q 'Full statespace search' "$out"; then
        why="not a full state space search"
      else
        verdict=verified
      fi
    else
      if [ "$errors" = 0 ]; then
        why="no error found: the $( [ "$expect" = caught ] && echo mutant passed || echo witness is unreachable )"
      elif ! printf '%s' "$violated" | grep -Eq "assertion violated \(+($tags)_?&&"; then
        why="failed for another reason than [$tags]: ${violated:-$(grep -m1 -E 'error|invalid' "$out")}"
      else
        verdict="$expect"
      fi
    fi
  fi
  printf '%-33s %-9s %12s %12s %6s %8s\n' "$name" "$verdict" "${states:--}" "${transitions:--}" "${depth:--}" "${secs:--}"
  if [ "$verdict" = FAILED ]; then
    failed=$((failed + 1))
    echo "    $why"
    echo "    (spin -a $flags $model.pml)"
    tail -n 25 "$dir/spin.out" "$dir/gcc.out" "$dir/pan.out" 2>/dev/null | sed 's/^/    | /'
  fi
done

echo "proofs: ${#runs[@]} runs, $failed failed, $((SECONDS - start)) s"
[ "$failed" -eq 0 ]
