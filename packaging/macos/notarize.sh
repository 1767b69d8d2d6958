#!/usr/bin/env bash
# Submit a signed .dmg to Apple's notary service, wait for the verdict, staple the ticket.
#
#   MACOS_NOTARY_APPLE_ID=... MACOS_NOTARY_TEAM_ID=... MACOS_NOTARY_PASSWORD=... notarize.sh X.dmg
set -euo pipefail
dmg=$1
xcrun notarytool submit "$dmg" \
    --apple-id "${MACOS_NOTARY_APPLE_ID:?set MACOS_NOTARY_APPLE_ID}" \
    --team-id "${MACOS_NOTARY_TEAM_ID:?set MACOS_NOTARY_TEAM_ID}" \
    --password "${MACOS_NOTARY_PASSWORD:?set MACOS_NOTARY_PASSWORD}" \
    --wait
xcrun stapler staple "$dmg"
xcrun stapler validate "$dmg"
