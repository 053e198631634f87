#!/usr/bin/env bash
# Install Debian's headless QGIS (PyQGIS, data providers, qgis_process) for the real-QGIS tests.
#
# Idempotent: does nothing when the system Python can already import qgis.core and qgis_process exists.
# Needs root (or sudo) and the Debian package mirror. Safe to call on every CI run.
#
#   .ci/install_qgis.sh            # install if missing
#   QGIS_SKIP_INSTALL=1 .ci/install_qgis.sh   # never install (tests then skip)
set -euo pipefail

SYS_PY=${QGIS_PYTHON:-/usr/bin/python3}

have_qgis() {
    [ -x "$SYS_PY" ] && "$SYS_PY" -c "import qgis.core" >/dev/null 2>&1 \
        && { [ -x /usr/bin/qgis_process.bin ] || command -v qgis_process >/dev/null 2>&1; }
}

if have_qgis; then
    echo "install_qgis: QGIS already present: $("$SYS_PY" -c 'from qgis.core import Qgis; print(Qgis.version())' 2>/dev/null)"
    exit 0
fi

if [ "${QGIS_SKIP_INSTALL:-0}" = "1" ]; then
    echo "install_qgis: QGIS missing and QGIS_SKIP_INSTALL=1; the qgis tests will be skipped"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_qgis: no apt-get (not Debian/Ubuntu); install QGIS yourself; the qgis tests will be skipped" >&2
    exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_qgis: not root and no sudo; cannot install QGIS; the qgis tests will be skipped" >&2
        exit 0
    fi
fi

echo "install_qgis: installing python3-qgis qgis-providers qgis (about 230 MB) ..."
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    python3-qgis qgis-providers qgis

if have_qgis; then
    echo "install_qgis: installed QGIS $("$SYS_PY" -c 'from qgis.core import Qgis; print(Qgis.version())' 2>/dev/null)"
else
    echo "install_qgis: installation finished but $SYS_PY cannot import qgis.core" >&2
    exit 1
fi
