#!/usr/bin/env bash
# Installs what airm needs from Debian 12's packages (when missing) and builds it into build/.
# Used by tools/demo and tools/test; safe to run again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AIRM_BUILD_DIR:-$root/build}"

packages=(build-essential cmake pkg-config libxapian-dev libicu-dev nlohmann-json3-dev catch2 libcli11-dev
          libjemalloc-dev xapian-tools python3 python3-xapian fasttext
          libcpp-httplib-dev chromium chromium-driver python3-selenium python3-sklearn hey)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "airm setup: installing ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${AIRM_BUILD_TYPE:-RelWithDebInfo}" ${AIRM_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)" "$@"
