#!/usr/bin/env bash
# Builds the release artifacts of one target into dist/:
#   archive  portkey-admin-mcp-<version>-<target>.tar.gz (.zip on Windows) and its .sha256
#   npm      the launcher package portkey-admin-mcp-rs and the binary package of this platform
#   wheel    the PyPI wheel (maturin "bin" bindings: the binary is the console script)
#   oci      an OCI image (Linux only): static binary, non-root user, no shell, as an oci-archive tar
#   server   server.json for the MCP Registry, checked against this version
# Linux and Windows binaries link the C runtime statically (+crt-static); on Linux the result
# has no dynamic section at all, which this script checks. On x86_64 Linux the functions a stdio
# session runs are linked first, in the order of scripts/startup-order.txt.
#
# usage: scripts/dist.sh [--target TRIPLE] [--only "archive npm wheel oci server"] [--skip-build]
#   DIST_DIR (default ./dist) is where the artifacts go. The release workflow runs this once per
#   target; scripts/artifacts-check.sh installs what it wrote and drives MCP through each one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

target=""
only="archive npm wheel oci server"
skip_build=0
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --skip-build) skip_build=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "dist.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$target" ] || target=$(rustc -vV | sed -n 's/^host: //p')
wants() { case " $only " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

name=portkey-admin-mcp
npm_name=portkey-admin-mcp-rs
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
dist=${DIST_DIR:-$root/dist}
stage=$dist/.stage
mkdir -p "$dist"
rm -rf "$stage"
mkdir -p "$stage"

exe=""
case "$target" in
  x86_64-unknown-linux-gnu) os=linux; cpu=x64; oci_arch=amd64 ;;
  aarch64-unknown-linux-gnu) os=linux; cpu=arm64; oci_arch=arm64 ;;
  x86_64-apple-darwin) os=darwin; cpu=x64; oci_arch="" ;;
  aarch64-apple-darwin) os=darwin; cpu=arm64; oci_arch="" ;;
  x86_64-pc-windows-msvc) os=win32; cpu=x64; oci_arch=""; exe=.exe ;;
  *) echo "dist.sh: no packaging defined for target $target" >&2; exit 2 ;;
esac

# The Python used for small portable steps (archives, checksums, JSON).
py=$(command -v python3 || command -v python)

step() { printf '\n== %s\n' "$*" >&2; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# ---- build -------------------------------------------------------------------------------
rustflags=${RUSTFLAGS:-}
case "$target" in
  *-linux-gnu|*-windows-msvc) rustflags="${rustflags:+$rustflags }-C target-feature=+crt-static" ;;
esac
# getrandom finds glibc's getrandom() through dlsym, which a static binary cannot do, and then
# falls back to /dev/urandom, absent from an empty root. Link getrandom() directly instead.
case "$target" in
  *-linux-gnu) rustflags="$rustflags --cfg getrandom_backend=\"linux_getrandom\"" ;;
esac
# x86_64 Linux: the functions a stdio session runs go first in the code, in the order of
# scripts/startup-order.txt (written by scripts/startup-order.py), so a server that has started
# maps a third of the code it would map otherwise. lld reads the list: it is the default linker
# of this target from Rust 1.90, and a configured linker of another kind turns the list off.
# The link map (mangled names) is what scripts/startup-order.py reads the names from. The list is
# passed under a name of its contents, so a new list makes cargo link again.
order=$root/scripts/startup-order.txt
link_map=$root/target/$target/release/$name.map
use_order=0
rust_minor=$(rustc -V | sed -n 's/^rustc 1\.\([0-9]*\).*/\1/p')
if [ "$target" = x86_64-unknown-linux-gnu ] && [ -s "$order" ] && [ "${rust_minor:-0}" -ge 90 ] \
  && [ -z "${CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER:-}" ]; then
  use_order=1
  order_copy=$root/target/startup-order-$(sha256sum "$order" | cut -c1-16).txt
  mkdir -p "$root/target"
  cp "$order" "$order_copy"
  rustflags="$rustflags -C link-arg=-Wl,--symbol-ordering-file=$order_copy -C link-arg=-Wl,--no-warn-symbol-ordering"
  rustflags="$rustflags -C link-arg=-Wl,-Map=$link_map -C link-arg=-Wl,--no-demangle"
fi
export RUSTFLAGS=$rustflags
bin=$root/target/$target/release/$name$exe
if [ "$skip_build" = 0 ]; then
  step "build $name $version for $target (RUSTFLAGS=$RUSTFLAGS)"
  t0=$(date +%s)
  cargo build --release --locked --target "$target" --bin "$name"
  echo "built in $(elapsed "$t0")" >&2
fi
[ -x "$bin" ] || { echo "dist.sh: $bin is missing (build without --skip-build)" >&2; exit 1; }
if [ "$use_order" = 1 ] && [ -s "$link_map" ]; then
  # Symbol names carry hashes of the crate versions: say how much of the list this build matched.
  "$py" "$root/scripts/startup-order.py" --matched "$link_map"
fi

if [ "$os" = linux ]; then
  # Static means: no program interpreter and no shared library needed.
  if readelf -lW "$bin" | grep -q 'INTERP' || readelf -dW "$bin" | grep -q '(NEEDED)'; then
    echo "dist.sh: $bin is dynamically linked:" >&2
    readelf -dW "$bin" | grep '(NEEDED)' >&2 || true
    exit 1
  fi
  echo "static: no interpreter, no shared libraries" >&2
fi

# ---- archive -----------------------------------------------------------------------------
if wants archive; then
  step "archive"
  base=$name-$version-$target
  mkdir -p "$stage/$base"
  cp "$bin" README.md LICENSE "$stage/$base/"
  if [ "$os" = win32 ]; then archive=$dist/$base.zip; else archive=$dist/$base.tar.gz; fi
  "$py" - "$stage" "$base" "$archive" <<'PY'
import gzip, io, os, sys, tarfile, zipfile
stage, base, out = sys.argv[1:4]
names = sorted(os.listdir(os.path.join(stage, base)))
if out.endswith(".zip"):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            z.write(os.path.join(stage, base, n), f"{base}/{n}")
else:
    # Owner root, fixed order and times: the same input gives the same archive.
    def clean(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        ti.mtime = 0
        return ti
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.add(os.path.join(stage, base), base, recursive=False, filter=clean)
        for n in names:
            t.add(os.path.join(stage, base, n), f"{base}/{n}", filter=clean)
    with open(out, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
        g.write(raw.getvalue())
PY
  "$py" - "$archive" <<'PY'
import hashlib, os, sys
path = sys.argv[1]
digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
with open(path + ".sha256", "w", newline="\n") as f:
    f.write(f"{digest}  {os.path.basename(path)}\n")
PY
  cat "$archive.sha256" >&2
fi

# ---- npm ---------------------------------------------------------------------------------
if wants npm; then
  step "npm packages"
  plat=$npm_name-$os-$cpu
  pdir=$stage/npm/$plat
  mkdir -p "$pdir/bin"
  cp "$bin" "$pdir/bin/$name$exe"
  chmod 0755 "$pdir/bin/$name$exe"
  cp LICENSE "$pdir/"
  sed -e "s/@NAME@/$plat/" -e "s/@OS@/$os/" -e "s/@CPU@/$cpu/" packaging/npm/platform/README.md >"$pdir/README.md"
  node - "$pdir/package.json" "$plat" "$version" "$os" "$cpu" <<'JS'
const fs = require("node:fs");
const [out, name, version, os, cpu] = process.argv.slice(2);
const launcher = JSON.parse(fs.readFileSync("packaging/npm/launcher/package.json", "utf8"));
const pkg = {
  name,
  version,
  description: `The ${os}-${cpu} binary of ${launcher.name}; install ${launcher.name} instead`,
  license: launcher.license,
  repository: launcher.repository,
  homepage: launcher.homepage,
  os: [os],
  cpu: [cpu],
  files: ["bin/", "README.md", "LICENSE"],
  preferUnplugged: true,
};
fs.writeFileSync(out, JSON.stringify(pkg, null, 2) + "\n");
JS
  ldir=$stage/npm/$npm_name
  mkdir -p "$ldir"
  cp -R packaging/npm/launcher/. "$ldir/"
  cp LICENSE "$ldir/"
  node - "$ldir/package.json" "$version" <<'JS'
const fs = require("node:fs");
const [file, version] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
pkg.version = version;
// Every platform the release builds, each pinned to this exact version.
const platforms = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"];
pkg.optionalDependencies = Object.fromEntries(platforms.map((p) => [`${pkg.name}-${p}`, version]));
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
JS
  (cd "$dist" && npm pack --silent "$pdir" "$ldir" >&2)
fi

# ---- wheel -------------------------------------------------------------------------------
if wants wheel; then
  step "wheel"
  maturin=$(command -v maturin || true)
  if [ -z "$maturin" ]; then
    venv=$root/target/dist-tools
    if [ ! -x "$venv/bin/maturin" ] && [ ! -x "$venv/Scripts/maturin.exe" ]; then
      "$py" -m venv "$venv"
      "$venv"/bin/python -m pip install --quiet "maturin>=1.7,<2" 2>/dev/null ||
        "$venv"/Scripts/python -m pip install --quiet "maturin>=1.7,<2"
    fi
    maturin=$(ls "$venv"/bin/maturin "$venv"/Scripts/maturin.exe 2>/dev/null | head -n1)
  fi
  compat=()
  # The static binary needs no particular glibc; manylinux2014 is the tag every pip accepts on a
  # glibc system. (maturin will not add a musllinux tag to a -gnu build, so Alpine's pip does not
  # pick this wheel, although the binary inside would run there.)
  if [ "$os" = linux ]; then compat=(--compatibility manylinux2014); fi
  (cd packaging/pypi && "$maturin" build --release --locked --target "$target" "${compat[@]}" --out "$dist" >&2)
fi

# ---- OCI image ---------------------------------------------------------------------------
if wants oci && [ -n "$oci_arch" ]; then
  step "OCI image ($oci_arch)"
  command -v umoci >/dev/null 2>&1 || { echo "dist.sh: the image needs umoci (Debian/Ubuntu: apt-get install umoci)" >&2; exit 1; }
  mcp_name=$("$py" -c 'import json,sys; print(json.load(open("server.json"))["name"])')
  repo_url=$(sed -n 's/^repository = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
  layout=$stage/oci
  rootfs=$stage/rootfs
  created=1970-01-01T00:00:00Z
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp"
  cp "$bin" "$rootfs/usr/local/bin/$name"
  chmod 0755 "$rootfs/usr/local/bin/$name"
  chmod 1777 "$rootfs/tmp"
  # The one user the server runs as; no shell, no home beyond /tmp.
  printf 'root:x:0:0:root:/root:/sbin/nologin\nmcp:x:65532:65532:portkey-admin-mcp:/tmp:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nmcp:x:65532:\n' >"$rootfs/etc/group"
  umoci init --layout "$layout"
  umoci new --image "$layout:$version"
  umoci insert --image "$layout:$version" --history.created "$created" --history.created_by "scripts/dist.sh" "$rootfs" /
  umoci config --image "$layout:$version" \
    --created "$created" --history.created "$created" --history.created_by "scripts/dist.sh" \
    --os linux --architecture "$oci_arch" \
    --clear config.env \
    --config.user 65532:65532 \
    --config.workingdir /tmp \
    --config.entrypoint "/usr/local/bin/$name" \
    --config.env PATH=/usr/local/bin \
    --config.env MCP_TRANSPORT=stdio \
    --config.env HOME=/tmp \
    --config.label "io.modelcontextprotocol.server.name=$mcp_name" \
    --config.label "org.opencontainers.image.source=$repo_url" \
    --config.label "org.opencontainers.image.version=$version" \
    --config.label "org.opencontainers.image.licenses=MIT" \
    --config.label "org.opencontainers.image.title=$name" \
    --manifest.annotation "io.modelcontextprotocol.server.name=$mcp_name" \
    --manifest.annotation "org.opencontainers.image.source=$repo_url"
  umoci gc --layout "$layout"
  image=$dist/$name-$version-oci-$oci_arch.tar
  tar -C "$layout" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$image" .
  "$py" - "$image" <<'PY'
import hashlib, os, sys
path = sys.argv[1]
digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
with open(path + ".sha256", "w", newline="\n") as f:
    f.write(f"{digest}  {os.path.basename(path)}\n")
PY
fi

# ---- server.json -------------------------------------------------------------------------
if wants server; then
  step "server.json"
  "$py" - "$version" <<'PY'
import json, sys
version = sys.argv[1]
s = json.load(open("server.json"))
found = [s["version"]] + [p.get("version") or p["identifier"].rsplit(":", 1)[-1] for p in s["packages"]]
if any(v != version for v in found):
    sys.exit(f"server.json names versions {found}, Cargo.toml says {version}")
PY
  cp server.json "$dist/server.json"
fi

rm -rf "$stage"
step "dist/ for $target"
# (An empty dist/, as after `--only ""`, lists nothing and is not a failure.)
(cd "$dist" && for f in *; do if [ -f "$f" ]; then printf '%10s  %s\n' "$(wc -c <"$f" | tr -d ' ')" "$f"; fi; done) >&2
