#!/usr/bin/env bash
# Installs what Qt and Python's venv need from Debian's packages when they are
# missing (as root), or says exactly which packages to install.
set -euo pipefail

PYTHON=${1:-python3}
PURPOSE=${2:-run}  # "test" also wants the browser the link tests drive
missing=()

# Python's venv needs ensurepip, which Debian ships apart.
if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
  ver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  missing+=("python${ver}-venv")
fi

# soname -> Debian package: Qt's offscreen and xcb platforms, and a font.
declare -A LIBS=(
  [libEGL.so.1]=libegl1 [libGL.so.1]=libgl1 [libOpenGL.so.0]=libopengl0
  [libxkbcommon.so.0]=libxkbcommon0 [libfontconfig.so.1]=libfontconfig1
  [libfreetype.so.6]=libfreetype6 [libglib-2.0.so.0]=libglib2.0-0
  [libdbus-1.so.3]=libdbus-1-3 [libxkbcommon-x11.so.0]=libxkbcommon-x11-0
  [libxcb-cursor.so.0]=libxcb-cursor0 [libxcb-icccm.so.4]=libxcb-icccm4
  [libxcb-keysyms.so.1]=libxcb-keysyms1 [libxcb-shape.so.0]=libxcb-shape0
  [libxcb-render-util.so.0]=libxcb-render-util0 [libxcb-image.so.0]=libxcb-image0
  [libX11-xcb.so.1]=libx11-xcb1
)
cache=$(ldconfig -p 2>/dev/null || true)
for lib in "${!LIBS[@]}"; do
  grep -q "$lib" <<<"$cache" || missing+=("${LIBS[$lib]}")
done
if ! fc-list 2>/dev/null | grep -q .; then
  missing+=(fonts-dejavu-core fontconfig)
fi
if [ "$PURPOSE" = test ]; then
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  # The relay's PostgreSQL store is tested against a real server.
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  # The bundle (make package, and its test) embeds Python's shared library and
  # needs binutils' objdump to read the libraries it collects.
  ver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  "$PYTHON" -c 'import os, sys, sysconfig as c
sys.exit(not os.path.exists(os.path.join(c.get_config_var("LIBDIR"), c.get_config_var("INSTSONAME"))))' \
    || missing+=("libpython${ver}")
  command -v objdump >/dev/null || missing+=(binutils)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Practice Desk needs these system packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
