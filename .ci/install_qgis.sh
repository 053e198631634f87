#!/usr/bin/env bash
# Install Debian's headless QGIS (PyQGIS, data providers, qgis_process) for the real-QGIS tests,
# plus a small CJK font (WenQuanYi Micro Hei, 1.6 MB) so Chinese labels render in QGIS images.
#
# Idempotent: installs only the packages that are missing; does nothing (no apt-get update) when
# all are present. Needs root (or sudo) and the Debian package mirror.
#
#   .ci/install_qgis.sh                       # install what is missing
#   QGIS_SKIP_INSTALL=1 .ci/install_qgis.sh   # never install (the qgis tests then skip)
#   .ci/install_qgis.sh --backports DIR       # ALSO unpack QGIS 3.40 LTR from bookworm-backports
#                                             # into DIR (dpkg -x; the system QGIS is untouched);
#                                             # run tests on it with ACCESSIBILITY_QGIS_PREFIX=DIR/usr
#
# Exit status: 0 when QGIS is usable or installation was skipped on purpose / impossible
# (no apt-get, not root and no sudo: the qgis tests skip); 1 when apt-get ran but QGIS still
# cannot be imported by the system Python.
set -euo pipefail

SYS_PY=${QGIS_PYTHON:-/usr/bin/python3}

debian_mirror() {
    # First "URIs:" (deb822) or "deb URI" (one-line) entry of the main archive in the apt sources.
    {
        cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{print $2}'
        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /^[a-z]+:\/\//){print $i; break}}'
    } | grep -v -- '-security' | head -n 1
}

unpack_backports() {
    # Download QGIS from bookworm-backports with a private apt state (no change to the system's
    # sources or packages) and unpack it into "$1".
    local dest=$1 state
    state=$(mktemp -d)
    mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs" "$dest"
    # the Debian mirror this machine already uses (its apt sources), never a host written here
    local mirror
    mirror=$(debian_mirror)
    [ -n "$mirror" ] || { echo "install_qgis: no Debian mirror in the apt sources" >&2; return 1; }
    printf '%s\n' \
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" \
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" \
        >"$state/sources.list"
    local apt=(apt-get -q -o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=/dev/null
               -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache")
    "${apt[@]}" update
    local pkgs
    pkgs=$("${apt[@]}" install -s --no-install-recommends -t bookworm-backports python3-qgis qgis-providers \
           | awk '/^Inst/{print $2}')
    (cd "$state/debs" && "${apt[@]}" download -t bookworm-backports $pkgs)
    for deb in "$state/debs"/*.deb; do dpkg -x "$deb" "$dest"; done
    rm -rf "$state"
    echo "install_qgis: unpacked $(LD_LIBRARY_PATH="$dest/usr/lib/x86_64-linux-gnu:$dest/usr/lib" \
        PYTHONPATH="$dest/usr/lib/python3/dist-packages:$dest/usr/share/qgis/python" \
        "$SYS_PY" -c 'from qgis.core import Qgis; print(Qgis.QGIS_VERSION)' 2>/dev/null || echo '?') into $dest;" \
        "run the tests with ACCESSIBILITY_QGIS_PREFIX=$dest/usr"
}

BACKPORTS_DIR=""
if [ "${1:-}" = "--backports" ]; then
    BACKPORTS_DIR=${2:?"usage: $0 --backports DIR"}
fi
PACKAGES=(python3-qgis qgis-providers qgis fonts-wqy-microhei)

qgis_version() {
    [ -x "$SYS_PY" ] && "$SYS_PY" -c 'from qgis.core import Qgis; print(Qgis.QGIS_VERSION)' 2>/dev/null
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ] && qgis_version >/dev/null; then
    echo "install_qgis: QGIS $(qgis_version) already installed"
    if [ -n "$BACKPORTS_DIR" ]; then unpack_backports "$BACKPORTS_DIR"; fi
    exit 0
fi

if [ "${QGIS_SKIP_INSTALL:-0}" = "1" ]; then
    echo "install_qgis: missing ${missing[*]:-nothing} but QGIS_SKIP_INSTALL=1; qgis tests will skip"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_qgis: no apt-get (not Debian/Ubuntu); install QGIS yourself; qgis tests will skip" >&2
    exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install_qgis: not root and no password-less sudo; cannot install QGIS; qgis tests will skip" >&2
        exit 0
    fi
fi

echo "install_qgis: installing ${missing[*]} (QGIS is about 230 MB) ..."
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

if version=$(qgis_version); then
    echo "install_qgis: QGIS $version installed"
    if [ -n "$BACKPORTS_DIR" ]; then unpack_backports "$BACKPORTS_DIR"; fi
else
    echo "install_qgis: installation finished but $SYS_PY cannot import qgis.core" >&2
    exit 1
fi
