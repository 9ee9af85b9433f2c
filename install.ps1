<#
.SYNOPSIS
  Installs the intune-audit release binary for this Windows PC (x64 or arm64).

.DESCRIPTION
  Downloads intune-audit-<target>.zip and SHA256SUMS from the GitHub release, verifies the
  SHA-256 checksum, extracts intune-audit.exe to a folder and adds that folder to the user's
  PATH.

    irm https://github.com/intune-audit/intune-audit/releases/latest/download/install.ps1 | iex
    .\install.ps1 -Version v0.1.0 -InstallDir "$env:LOCALAPPDATA\Programs\intune-audit"

.PARAMETER Version
  Release tag (default: latest; or $env:INTUNE_AUDIT_VERSION).
.PARAMETER InstallDir
  Folder for intune-audit.exe (default: $env:LOCALAPPDATA\Programs\intune-audit).
.PARAMETER Repo
  GitHub OWNER/NAME (default: intune-audit/intune-audit; or $env:INTUNE_AUDIT_REPO).
.PARAMETER BaseUrl
  A mirror holding the same files as the release (or $env:INTUNE_AUDIT_BASE_URL).
.PARAMETER NoPathUpdate
  Do not add InstallDir to the user's PATH.
#>
[CmdletBinding()]
param(
  [string]$Version = $(if ($env:INTUNE_AUDIT_VERSION) { $env:INTUNE_AUDIT_VERSION } else { 'latest' }),
  [string]$InstallDir = $(if ($env:INTUNE_AUDIT_INSTALL_DIR) { $env:INTUNE_AUDIT_INSTALL_DIR } else { Join-Path $env:LOCALAPPDATA 'Programs\intune-audit' }),
  [string]$Repo = $(if ($env:INTUNE_AUDIT_REPO) { $env:INTUNE_AUDIT_REPO } else { 'intune-audit/intune-audit' }),
  [string]$BaseUrl = $env:INTUNE_AUDIT_BASE_URL,
  [switch]$NoPathUpdate
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture
switch ($arch) {
  'X64'   { $target = 'x86_64-pc-windows-msvc' }
  'Arm64' { $target = 'aarch64-pc-windows-msvc' }
  default { throw "install.ps1: no release binary for Windows on $arch" }
}
$asset = "intune-audit-$target.zip"
if (-not $BaseUrl) {
  if ($Version -eq 'latest') {
    $BaseUrl = "https://github.com/$Repo/releases/latest/download"
  } else {
    $BaseUrl = "https://github.com/$Repo/releases/download/$Version"
  }
}

$tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("intune-audit-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
  Write-Host "install.ps1: downloading $asset ($Version) from $BaseUrl"
  Invoke-WebRequest -UseBasicParsing -Uri "$BaseUrl/$asset" -OutFile (Join-Path $tmp $asset)
  Invoke-WebRequest -UseBasicParsing -Uri "$BaseUrl/SHA256SUMS" -OutFile (Join-Path $tmp 'SHA256SUMS')

  $line = Get-Content (Join-Path $tmp 'SHA256SUMS') |
    Where-Object { ($_ -split '\s+')[1] -in @($asset, "*$asset") } |
    Select-Object -First 1
  if (-not $line) { throw "install.ps1: SHA256SUMS has no line for $asset" }
  $expected = ($line -split '\s+')[0].ToLowerInvariant()
  $actual = (Get-FileHash -Algorithm SHA256 -Path (Join-Path $tmp $asset)).Hash.ToLowerInvariant()
  if ($expected -ne $actual) {
    throw "install.ps1: checksum mismatch for ${asset}: expected $expected, got $actual"
  }

  Expand-Archive -Path (Join-Path $tmp $asset) -DestinationPath $tmp -Force
  New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
  Copy-Item -Force (Join-Path $tmp 'intune-audit.exe') (Join-Path $InstallDir 'intune-audit.exe')
} finally {
  Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
}

& "$InstallDir\intune-audit.exe" --version

if (-not $NoPathUpdate) {
  $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
  if (-not (($userPath -split ';') -contains $InstallDir)) {
    [Environment]::SetEnvironmentVariable('Path', (@($userPath, $InstallDir) -ne '' -join ';'), 'User')
    Write-Host "install.ps1: added $InstallDir to your PATH (open a new terminal)"
  }
  if (-not (($env:Path -split ';') -contains $InstallDir)) { $env:Path = "$env:Path;$InstallDir" }
}
if ($env:GITHUB_PATH) { Add-Content -Path $env:GITHUB_PATH -Value $InstallDir }
