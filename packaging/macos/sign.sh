#!/usr/bin/env bash
# Sign Trove.app from the inside out with the hardened runtime (notarisation requires both).
#
#   MACOS_SIGN_IDENTITY="Developer ID Application: ..." packaging/macos/sign.sh Trove.app
set -euo pipefail
app=$1
identity=${MACOS_SIGN_IDENTITY:?set MACOS_SIGN_IDENTITY}
entitlements="$(cd "$(dirname "$0")" && pwd)/entitlements.plist"

sign() {
    codesign --force --timestamp --options runtime --entitlements "$entitlements" \
        --sign "$identity" "$1"
}

# Every library and executable inside first (deepest first), then the app itself.
while IFS= read -r -d '' file; do
    if file -b "$file" | grep -q 'Mach-O'; then
        sign "$file"
    fi
done < <(find "$app/Contents" -type f \( -name '*.so' -o -name '*.dylib' -o -perm -u+x \) -print0)
sign "$app"
codesign --verify --deep --strict --verbose=2 "$app"
