#!/usr/bin/env bash
# Developer tool (not CI): proves the libtorch shim (src/SftLab.Native) still compiles and links
# against libtorch 2.x, on a Debian machine that has only libtorch 1.13 installed.
#
# For each Debian suite named (default: trixie sid), it fetches that suite's package lists into a
# private apt folder, downloads libtorch-dev and its runtime package, and unpacks them with
# `dpkg -x` under $SFTLAB_LIBTORCH2_DIR (default /tmp/libtorch2). Nothing is installed and the
# system's apt sources are left alone; the mirror is the one the system's apt already uses.
# Then it configures the shim with CMake against the unpacked TorchConfig.cmake (so the C++
# standard and flags are the real build's), compiles every .cpp with those exact commands, checks
# that no header came from the system's own libtorch, and links with -Wl,--no-undefined against
# the unpacked libraries (every symbol the shim uses exists in that libtorch).
#
# Usage: scripts/check-libtorch2.sh [--refresh] [SUITE...]
#   --refresh   fetch the package lists again (otherwise they are reused for a day)
# Re-runs reuse the lists, the unpacked packages and the objects: a second run takes seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${SFTLAB_LIBTORCH2_DIR:-/tmp/libtorch2}"
refresh=0
suites=()
for a in "$@"; do
  case "$a" in
    --refresh) refresh=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) suites+=("$a") ;;
  esac
done
(( ${#suites[@]} )) || suites=(trixie sid)
log() { printf '\033[1;34m[libtorch2]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[libtorch2]\033[0m %s\n' "$*" >&2; exit 1; }
for t in apt-get dpkg cmake g++ python3; do
  command -v "$t" >/dev/null || die "needs $t (a Debian system; scripts/setup.sh installs cmake and g++)"
done

# The Debian archive the system already uses (its main suite, not -security), read from apt itself.
# shellcheck disable=SC2016  # $(...) here is apt's format syntax, not the shell's
MIRROR="$(apt-get indextargets --format '$(LABEL) $(CODENAME) $(REPO_URI)' 2>/dev/null |
  awk '$1 == "Debian" && $2 !~ /-/ { print $3; exit }')"
[[ -n "$MIRROR" ]] || die "no Debian archive found in the system's apt sources (run apt-get update once?)"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -f "$KEYRING" ]] || die "missing $KEYRING (package debian-archive-keyring)"
multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)"

check_suite() {
  local suite="$1" dir="$BASE/$1"
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs"
  echo "deb [signed-by=$KEYRING] $MIRROR $suite main" > "$dir/apt/sources.list"
  # A private apt: its own sources, lists and cache. -c is read after the system's apt.conf.d, so
  # it also drops the system's update/dpkg hooks (e.g. docker-clean's rm of /var/cache/apt/*.bin).
  cat > "$dir/apt/apt.conf" <<EOF
Dir::Etc::sourcelist "$dir/apt/sources.list";
Dir::Etc::sourceparts "-";
Dir::State::Lists "$dir/apt/lists";
Dir::Cache "$dir/apt/cache";
APT::Get::List-Cleanup "0";
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
#clear DPkg::Pre-Invoke;
#clear DPkg::Post-Invoke;
EOF
  local apt_opts=(-c "$dir/apt/apt.conf" -q)
  [[ $(id -u) -eq 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)  # the _apt user can't write here

  # 1. package lists (kept for a day)
  if (( refresh )) || [[ -z "$(find "$dir/apt/updated" -mmin -1440 2>/dev/null)" ]]; then
    log "$suite: fetching package lists from the system's Debian mirror"
    apt-get "${apt_opts[@]}" update >/dev/null || die "$suite: apt-get update failed"
    touch "$dir/apt/updated"
  fi
  local ver rt
  ver="$(apt-cache "${apt_opts[@]}" madison libtorch-dev | awk -F' [|] ' 'NR == 1 { gsub(/ /, "", $2); print $2 }')"
  [[ -n "$ver" ]] || die "$suite: no libtorch-dev in this suite"
  rt="$(apt-cache "${apt_opts[@]}" show "libtorch-dev=$ver" | sed -n 's/^Depends:.*\(libtorch[0-9][0-9.]*\) (=.*/\1/p' | head -1)"
  [[ -n "$rt" ]] || die "$suite: cannot tell libtorch-dev $ver's runtime package"

  # 2. download and unpack (only when the version changed)
  local root="$dir/root" build
  build="$dir/build-$(printf %s "$ROOT" | md5sum | cut -c1-8)"  # one per checkout
  if [[ "$(cat "$root/.version" 2>/dev/null)" != "$ver" ]]; then
    log "$suite: downloading libtorch-dev and $rt $ver"
    rm -rf "$root" "$dir"/build-* "$dir"/debs/*.deb
    (cd "$dir/debs" && apt-get "${apt_opts[@]}" download "libtorch-dev=$ver" "$rt=$ver" >/dev/null) ||
      die "$suite: apt-get download failed"
    mkdir -p "$root"
    for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$root"; done
    echo "$ver" > "$root/.version"
  fi
  local incs=(-I"$root/usr/include" -I"$root/usr/include/torch/csrc/api/include")
  local hv
  hv="$(printf '#include <torch/version.h>\nTORCH_VERSION_MAJOR.TORCH_VERSION_MINOR.TORCH_VERSION_PATCH\n' |
        g++ -std=c++20 -E -P -x c++ "${incs[@]}" - 2>/dev/null | tail -1 | tr -d ' ')"

  # 3. configure with the real CMakeLists (picks the C++ standard and flags for this libtorch)
  local torch_dir="$root/usr/lib/$multiarch/cmake/Torch"
  [[ -f "$torch_dir/TorchConfig.cmake" ]] || die "$suite: no TorchConfig.cmake in $torch_dir"
  if [[ ! -f "$build/compile_commands.json" || "$ROOT/src/SftLab.Native/CMakeLists.txt" -nt "$build/compile_commands.json" ]]; then
    cmake -S "$ROOT/src/SftLab.Native" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
      -DTorch_DIR="$torch_dir" >"$dir/cmake.log" 2>&1 || { tail -20 "$dir/cmake.log"; die "$suite: cmake configure failed"; }
  fi

  # 4. compile each source with its exact command (again only when the shim changed), in parallel
  local cmds
  cmds="$(python3 - "$build/compile_commands.json" <<'PY'
import json, sys
for e in json.load(open(sys.argv[1])):
    print(e["directory"] + "\t" + e["file"] + "\t" + e["command"])
PY
)"
  local newest std pids=() objs=() failed=0
  newest="$(ls -t "$ROOT"/src/SftLab.Native/src/* "$root/.version" "$build/compile_commands.json" | head -1)"
  std="$(grep -o -- '-std=[a-z+0-9]*' <<<"$cmds" | head -1)"
  while IFS=$'\t' read -r wd _ cmd; do
    local obj="${cmd#* -o }"
    obj="$wd/${obj%% *}"
    objs+=("$obj")
    if [[ -f "$obj" && "$obj" -nt "$newest" ]]; then continue; fi
    rm -f "$obj"
    (cd "$wd" && eval "$cmd -MD -MF \"\$obj.d\"" >"$obj.log" 2>&1) &
    pids+=($!)
  done <<<"$cmds"
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  local warnings=0 leaked=""
  for o in "${objs[@]}"; do
    if [[ ! -f "$o" ]]; then failed=1; head -25 "$o.log" >&2; continue; fi
    warnings=$(( warnings + $(grep -c 'warning:' "$o.log" 2>/dev/null || true) ))
    # A header the unpacked tree lacks would silently come from the system's libtorch 1.13.
    leaked+="$(grep -oE '(^|[[:space:]])/usr/include/(ATen|c10|torch|caffe2)/[^ ]*' "$o.d" || true) "
  done
  (( failed )) && die "$suite: libtorch $hv ($std): the shim does not compile"
  leaked="$(tr ' ' '\n' <<<"$leaked" | sed '/^$/d' | sort -u | head -5 | tr '\n' ' ')"
  [[ -z "$leaked" ]] || die "$suite: headers came from the system's libtorch instead: $leaked"
  (( warnings == 0 )) || { cat "${objs[@]/%/.log}" >&2; log "$suite: $warnings compiler warning(s) above"; }

  # 5. link: every symbol the shim needs must exist in this libtorch
  local so="$build/libsftlab_native-check.so" libdir="$root/usr/lib/$multiarch"
  g++ -shared -o "$so" "${objs[@]}" -L"$libdir" -Wl,--no-undefined -ltorch -ltorch_cpu -lc10 2>"$dir/link.log" ||
    { cat "$dir/link.log" >&2; die "$suite: libtorch $hv: the shim does not link (missing symbols above)"; }
  local n
  n="$(nm -D --defined-only "$so" | grep -c ' T sft_')"
  printf '%s: libtorch %s (package %s, %s): %d files compile, %d warnings, linked with --no-undefined, %d sft_* exports: OK\n' \
    "$suite" "$hv" "$ver" "${std#-std=}" "${#objs[@]}" "$warnings" "$n"
}

rc=0
for s in "${suites[@]}"; do (check_suite "$s") || rc=1; done
exit $rc
