#!/bin/sh
# Installs the intune-audit release binary for this machine (Linux x64/arm64 static musl,
# macOS x64/arm64): downloads the archive and SHA256SUMS from the GitHub release, verifies the
# checksum, and puts the binary in a folder on PATH.
#
#   curl -fsSL https://github.com/intune-audit/intune-audit/releases/latest/download/install.sh | sh
#   sh install.sh --version v0.1.0 --to "$HOME/.local/bin"
#
# Options (or environment): --version TAG (INTUNE_AUDIT_VERSION, default latest),
# --to DIR (INTUNE_AUDIT_INSTALL_DIR, default ~/.local/bin), --repo OWNER/NAME
# (INTUNE_AUDIT_REPO), --base-url URL (INTUNE_AUDIT_BASE_URL: a mirror holding the same files).
set -eu

repo="${INTUNE_AUDIT_REPO:-intune-audit/intune-audit}"
version="${INTUNE_AUDIT_VERSION:-latest}"
dir="${INTUNE_AUDIT_INSTALL_DIR:-$HOME/.local/bin}"
base_url="${INTUNE_AUDIT_BASE_URL:-}"

while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --to) dir="$2"; shift 2 ;;
    --repo) repo="$2"; shift 2 ;;
    --base-url) base_url="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

fail() { echo "install.sh: $*" >&2; exit 1; }

os=$(uname -s)
arch=$(uname -m)
case "$os/$arch" in
  Linux/x86_64|Linux/amd64) target=x86_64-unknown-linux-musl ;;
  Linux/aarch64|Linux/arm64) target=aarch64-unknown-linux-musl ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  Darwin/arm64|Darwin/aarch64) target=aarch64-apple-darwin ;;
  *) fail "no release binary for $os/$arch (Windows: use install.ps1; else build with cargo install --locked --path .)" ;;
esac
asset="intune-audit-$target.tar.gz"

if [ -z "$base_url" ]; then
  if [ "$version" = latest ]; then
    base_url="https://github.com/$repo/releases/latest/download"
  else
    base_url="https://github.com/$repo/releases/download/$version"
  fi
fi

fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --proto '=https,http' --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    fail "needs curl or wget"
  fi
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    openssl dgst -sha256 "$1" | sed 's/.*= *//'
  fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "install.sh: downloading $asset ($version) from $base_url" >&2
fetch "$base_url/$asset" "$tmp/$asset" || fail "cannot download $base_url/$asset"
fetch "$base_url/SHA256SUMS" "$tmp/SHA256SUMS" || fail "cannot download $base_url/SHA256SUMS"

expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$tmp/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS has no line for $asset"
actual=$(sha256 "$tmp/$asset")
[ "$expected" = "$actual" ] || fail "checksum mismatch for $asset: expected $expected, got $actual"

tar -xzf "$tmp/$asset" -C "$tmp"
mkdir -p "$dir"
install -m 0755 "$tmp/intune-audit" "$dir/intune-audit" 2>/dev/null \
  || { cp "$tmp/intune-audit" "$dir/intune-audit" && chmod 0755 "$dir/intune-audit"; }

"$dir/intune-audit" --version
case ":$PATH:" in
  *":$dir:"*) ;;
  *) echo "install.sh: add $dir to PATH, e.g. echo 'export PATH=\"$dir:\$PATH\"' >> ~/.profile" >&2 ;;
esac
