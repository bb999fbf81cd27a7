#!/bin/sh
# Installs this Practice Desk bundle for the current user: the program in
# ~/.local/lib/practice-desk, the `practice` command in ~/.local/bin, and the
# menu entry with its icons. As root with PREFIX=/usr/local it installs for
# everyone. `install.sh uninstall` removes all of it; the practice's data
# folder (database, logs, backups) is never touched.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
TARGET=$PREFIX/lib/practice-desk
APPS=$PREFIX/share/applications
ICONS=$PREFIX/share/icons/hicolor

refresh_menus() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$ICONS" || true
}

uninstall() {
  rm -rf "$TARGET"
  [ -L "$PREFIX/bin/practice" ] && rm -f "$PREFIX/bin/practice"
  rm -f "$APPS/practice-desk.desktop"
  find "$ICONS" -name practice-desk.png -delete 2>/dev/null || true
  rm -f "$ICONS/scalable/apps/practice-desk.svg"
  refresh_menus
  echo "Practice Desk removed from $PREFIX (your data folder is kept)."
}

install() {
  [ -x "$HERE/practice" ] || { echo "Run install.sh from inside the unpacked practice-desk folder." >&2; exit 2; }
  mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$APPS"
  # Copy beside the old version, then swap: a failed copy leaves the old one working.
  rm -rf "$TARGET.new"
  cp -R "$HERE" "$TARGET.new"
  rm -rf "$TARGET.new/share" "$TARGET.new/install.sh"
  rm -rf "$TARGET"
  mv "$TARGET.new" "$TARGET"
  ln -sfn "$TARGET/practice" "$PREFIX/bin/practice"
  (cd "$HERE/share/icons/hicolor" && find . -name 'practice-desk.*' | while read -r icon; do
    mkdir -p "$ICONS/$(dirname "$icon")"
    cp "$icon" "$ICONS/$icon"
  done)
  sed -e "s|^Exec=.*|Exec=\"$TARGET/practice\"|" -e "s|^TryExec=.*|TryExec=$TARGET/practice|" \
    "$HERE/share/applications/practice-desk.desktop" > "$APPS/practice-desk.desktop"
  refresh_menus
  echo "Practice Desk installed in $TARGET; open it from the menu or type: practice"
  case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "(add $PREFIX/bin to PATH to type 'practice')";; esac
}

case "${1:-install}" in
  install) install ;;
  uninstall) uninstall ;;
  *) echo "usage: install.sh [install|uninstall]" >&2; exit 2 ;;
esac
