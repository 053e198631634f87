#!/usr/bin/env bash
# Install Debian's headless QGIS (PyQGIS, data providers, qgis_process) for the real-QGIS tests,
# plus a small CJK font (WenQuanYi Micro Hei, 1.6 MB) so Chinese labels render in QGIS images.
#
# Idempotent: installs only the packages that are missing; does nothing (no apt-get update) when
# all are present. Needs root (or sudo) and the Debian package mirror.
#
#   .ci/install_qgis.sh                       # install what is missing
#   QGIS_SKIP_INSTALL=1 .ci/install_qgis.sh   # never install (the qgis tests then skip)
#
# Exit status: 0 when QGIS is usable or installation was skipped on purpose / impossible
# (no apt-get, not root and no sudo: the qgis tests skip); 1 when apt-get ran but QGIS still
# cannot be imported by the system Python.
set -euo pipefail

SYS_PY=${QGIS_PYTHON:-/usr/bin/python3}
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
else
    echo "install_qgis: installation finished but $SYS_PY cannot import qgis.core" >&2
    exit 1
fi
