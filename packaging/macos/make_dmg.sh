#!/usr/bin/env bash
# Trove.app (with pack and demo) -> a signed, notarised, stapled Trove-VERSION.dmg.
#
#   [PACK=DIR] packaging/macos/make_dmg.sh VERSION OUT_DIR     (default pack: the dev pack)
#
# Signing and notarisation run when their secrets are set (the release workflow sets them):
#   MACOS_SIGN_IDENTITY   "Developer ID Application: Name (TEAMID)", in the keychain already
#   MACOS_NOTARY_APPLE_ID, MACOS_NOTARY_TEAM_ID, MACOS_NOTARY_PASSWORD (an app-specific password)
# Without them the .dmg is built unsigned (Gatekeeper will warn), which is what a fork gets.
set -euo pipefail
version=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-.venv/bin/python}

app=$("$python" packaging/build.py macapp --version "$version" ${PACK:+--pack "$PACK"} | "$python" -c \
    'import json, sys; print(json.load(sys.stdin)["macapp"])')
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    "$here/sign.sh" "$app"
fi
mkdir -p "$out"
dmg="$out/Trove-$version.dmg"
staging=$(mktemp -d)
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "Trove" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
rm -rf "$staging"
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    codesign --sign "$MACOS_SIGN_IDENTITY" --timestamp "$dmg"
    "$here/notarize.sh" "$dmg"
fi
echo "$dmg"
