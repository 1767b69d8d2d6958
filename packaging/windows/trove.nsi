; Trove's Windows installer: per user, no administrator rights, under %LOCALAPPDATA%\Programs\Trove.
;
;   makensis -DVERSION=0.1.0 -DSOURCE_DIR=<bundle folder> -DOUTFILE=<setup.exe> -DICON=<trove.ico>
;            [-DCOMPRESSOR=lzma|zlib] packaging/windows/trove.nsi
;
; Silent use: "Trove-setup.exe /S [/DESKTOP=1]" installs; "uninstall.exe /S" removes.
; The index lives in the user's data folder (%LOCALAPPDATA%\trove) and survives both.

Unicode true
Target amd64-unicode
!ifndef COMPRESSOR
  !define COMPRESSOR lzma
!endif
SetCompressor /SOLID ${COMPRESSOR}
!ifndef VERSION
  !error "define VERSION"
!endif
!ifndef SOURCE_DIR
  !error "define SOURCE_DIR (the bundle folder)"
!endif
!ifndef OUTFILE
  !define OUTFILE "Trove-${VERSION}-setup.exe"
!endif

!define APP "Trove"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Trove"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "Software\${APP}" "InstallDir"
!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif

Var DesktopShortcut

!define MUI_FINISHPAGE_RUN "$INSTDIR\trove-desktop.exe"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  SetShellVarContext current
  ; /DESKTOP=1 on the command line asks for the desktop shortcut in a silent install.
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/DESKTOP=" $DesktopShortcut
FunctionEnd

Section "Trove" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; An upgrade replaces the program folder whole; the user's index is elsewhere.
  RMDir /r "$INSTDIR\_internal"
  File /r "${SOURCE_DIR}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateDirectory "$SMPROGRAMS\${APP}"
  CreateShortCut "$SMPROGRAMS\${APP}\${APP}.lnk" "$INSTDIR\trove-desktop.exe"
  CreateShortCut "$SMPROGRAMS\${APP}\Uninstall ${APP}.lnk" "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "Software\${APP}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Trove developers"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\trove-desktop.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section /o "Desktop shortcut" SecDesktop
  CreateShortCut "$DESKTOP\${APP}.lnk" "$INSTDIR\trove-desktop.exe"
SectionEnd

Function .onInstSuccess
  ; The silent path has no components page: honour /DESKTOP=1 there.
  ${If} $DesktopShortcut == "1"
    CreateShortCut "$DESKTOP\${APP}.lnk" "$INSTDIR\trove-desktop.exe"
  ${EndIf}
FunctionEnd

Function un.onInit
  SetShellVarContext current
FunctionEnd

Section "Uninstall"
  Delete "$DESKTOP\${APP}.lnk"
  RMDir /r "$SMPROGRAMS\${APP}"
  ; Only the program folder: each user's index in %LOCALAPPDATA%\trove stays theirs.
  RMDir /r "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\${APP}"
SectionEnd
