#!/usr/bin/env bash
# mpirun -n K fpx run NAME gives the bytes of the one-process run, for K = 1, 2, 3 and each C++
# experiment (small configs); and a run whose rank is killed resumes from its unit files and
# still gives those bytes.
#   check_mpi.sh FPX MPIRUN WORKDIR
set -euo pipefail
fpx=$1 mpirun=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
launch=("$mpirun" --oversubscribe --allow-run-as-root --mca btl self,vader --mca btl_vader_single_copy_mechanism none)

# Every output of a run but its timings (manifest.json, unit_costs.json), byte for byte.
same() {
  local a=$1 b=$2 f
  [ -d "$a" ] && [ -d "$b" ] || { echo "missing output: $a or $b"; return 1; }
  for f in "$a"/*; do
    case $(basename "$f") in manifest.json|unit_costs.json) continue ;; esac
    cmp "$f" "$b/$(basename "$f")" || return 1
  done
  [ "$(ls "$a" | sort)" = "$(ls "$b" | sort)" ] || { echo "other files: $(ls "$a") / $(ls "$b")"; return 1; }
  grep -q '"ranks"' "$b/manifest.json"
}

declare -A configs=(
  [equality_threshold]='{"max_p": 5, "fixed_max_bits": 4, "search_max_bits": 3, "saturating_max_bits": 5, "search_node_budget": 100000, "largest_n_cap": 5, "class_search_max_bits": 2, "class_search_node_budget": 100000}'
  [capacity_census]='{"inputs": [2, 3], "grids": ["s1", "ternary", "fixed:s:0:2"], "max_width": 2}'
  [bit_degradation]='{"random_seeds": [5], "interpolants": {"sine": 8}, "max_bits": 6}'
  [ternary_universality]='{"targets": ["abs", "sine"], "epsilons": [0.1, 0.03], "u1_max_pieces": 8, "u1_search_networks": 300, "u1_search_max_width": 2, "u1_exhaustive_max_width": 1}'
  [threshold_search]='{"formats": ["fixed:s:2:0", "e2m1", "fixed:s:2:1:overflow=error"], "n_from": 1, "n_to": 3, "node_budget": 0}'
  [first_equals_last]='{"vocabularies": [2, 3], "lengths": [3, 4], "quantities": ["weight", "activation", "exponential"], "families": [{"name": "mantissa", "pattern": "e5m{}", "levels": [1, 4]}]}'
)
for name in "${!configs[@]}"; do
  config=${configs[$name]}
  "$fpx" run "$name" --config "$config" --out "$work/plain" --threads 1 2>/dev/null >/dev/null
  for k in 1 2 3; do
    "${launch[@]}" -n $k "$fpx" run "$name" --config "$config" --out "$work/k$k" --threads $(( k == 3 ? 2 : 1 )) \
      2>"$work/$name.k$k.log" >/dev/null || { cat "$work/$name.k$k.log"; exit 1; }
    same "$work/plain/$name" "$work/k$k/$name" || { echo "FAIL: $name on $k ranks differs from one process"; exit 1; }
  done
  echo "ok: $name on 1, 2, 3 ranks"
done

# fpx verify on 2 and 3 ranks prints what one process prints (a first = last transformer over 3
# tokens at length 9, 19683 inputs in 5 units, in fixed(6,3): wrong on some inputs, so
# counterexamples cross ranks too).
model='{"blocks": [{"attention": {"heads": [{"key": {"weight": [["0", "1"]]}, "query": {"bias": ["4"], "weight": [["0", "0"]]}, "value": {"weight": [["1", "0"]]}}], "output": {"weight": [["-1"], ["0"]]}}, "mlp": {"layers": [{"activation": "relu", "weight": [["1", "0"], ["-1", "0"]]}, {"activation": "identity", "weight": [["-1", "-1"], ["0", "0"]]}]}, "mlp_residual": false}], "positional": [["0", "1"], ["0", "0"], ["0", "0"], ["0", "0"], ["0", "0"], ["0", "0"], ["0", "0"], ["0", "0"], ["0", "0"]], "readout": {"layers": [{"activation": "identity", "bias": ["1/2"], "weight": [["1", "0"]]}]}, "token_embedding": [["0", "0"], ["1", "0"], ["2", "0"]], "type": "transformer"}'
claim=(verify --model "$model" --spec "fixed(6,3)" --task first_equals_last --inputs sequences:3:9 --readout threshold=0
       --counterexamples 6)
"$fpx" "${claim[@]}" --threads 1 >"$work/verify.1" 2>&1
grep -q '"wrong": [1-9]' "$work/verify.1" || { echo "FAIL: the verify case has no wrong input"; cat "$work/verify.1"; exit 1; }
for k in 2 3; do
  "${launch[@]}" -n $k "$fpx" "${claim[@]}" --threads 1 >"$work/verify.$k" 2>"$work/verify.$k.log"
  cmp "$work/verify.1" "$work/verify.$k" || { echo "FAIL: fpx verify on $k ranks differs"; exit 1; }
done
echo "ok: fpx verify on 2 and 3 ranks"

# A rank killed mid-run: the job stops; a rerun takes the finished units from their files.
config='{"max_p": 10, "fixed_max_bits": 3, "search_max_bits": 2, "saturating_max_bits": 3, "search_node_budget": 10000, "largest_n_cap": 4, "class_search_max_bits": 2, "class_search_node_budget": 10000}'
"$fpx" run equality_threshold --config "$config" --out "$work/plain" --threads 1 2>/dev/null >/dev/null
units="$work/killed/equality_threshold/equality_threshold.units"
"${launch[@]}" -n 2 "$fpx" run equality_threshold --config "$config" --out "$work/killed" --threads 1 \
  >"$work/killed.log" 2>&1 &
job=$!
files_of() {  # unit files of the cell check p=10 written by rank $1
  grep -l "\"cell\":\"check p=10\".*\"rank\":$1," "$units"/*.unit 2>/dev/null | wc -l
}
for _ in $(seq 1 1200); do  # until the cell check p=10 (the longest) has unit files from both ranks
  if [ -d "$units" ] && [ "$(files_of 1)" -ge 2 ] && [ "$(files_of 0)" -ge 2 ]; then break; fi
  sleep 0.05
done
rank1=""
for pid in $(pgrep -f "fpx run equality_threshold" || true); do
  if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then rank1=$pid; fi
done
[ -n "$rank1" ] || { echo "FAIL: no rank 1 to kill"; cat "$work/killed.log"; exit 1; }
kill -9 "$rank1"
if wait $job; then echo "FAIL: the job went on without its rank 1"; exit 1; fi
[ ! -e "$work/killed/equality_threshold/equality_threshold.csv" ] || { echo "FAIL: finished although killed"; exit 1; }
left=$(ls "$units" | grep -c '\.unit$' || true)
"${launch[@]}" -n 2 "$fpx" run equality_threshold --config "$config" --out "$work/killed" --threads 1 \
  >/dev/null 2>"$work/resumed.log"
grep -q "from unit files of an interrupted run" "$work/resumed.log" ||
  { echo "FAIL: the rerun took no unit files ($left were there)"; cat "$work/resumed.log"; exit 1; }
same "$work/plain/equality_threshold" "$work/killed/equality_threshold" ||
  { echo "FAIL: the resumed run differs from one process"; exit 1; }
[ ! -e "$units" ] || { echo "FAIL: unit files left after the run"; exit 1; }
echo "ok: rank 1 killed with $left unit files on disk; the rerun took them and gave the same bytes"

# A damaged unit file is reported and its unit computed again.
"$fpx" run equality_threshold --config "$config" --out "$work/damaged" --threads 1 >/dev/null 2>&1 &
job=$!
units="$work/damaged/equality_threshold/equality_threshold.units"
for _ in $(seq 1 1200); do
  [ "$(files_of 0)" -ge 4 ] && break
  sleep 0.05
done
kill -9 $job; wait $job 2>/dev/null || true
victim=$(grep -l '"cell":"check p=10"' "$units"/*.unit | head -1)
[ -n "$victim" ] || { echo "FAIL: no unit file to damage"; exit 1; }
printf 'garbage' >>"$victim"
"$fpx" run equality_threshold --config "$config" --out "$work/damaged" --threads 1 >/dev/null 2>"$work/damaged.log"
grep -q "is torn, damaged or from another enumeration" "$work/damaged.log" ||
  { echo "FAIL: a damaged unit file was not reported"; cat "$work/damaged.log"; exit 1; }
same "$work/plain/equality_threshold" "$work/damaged/equality_threshold" || { echo "FAIL: damaged unit used"; exit 1; }
echo "ok: a damaged unit file is reported and its unit computed again"
