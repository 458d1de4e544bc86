#!/usr/bin/env bash
# Installs every artifact that scripts/dist.sh wrote for x86_64 Linux, each from its file, offline,
# in a fresh temporary directory, and drives an MCP session (initialize, tools/list, a tool call)
# through each one:
#   archive  checksum, unpack, run; then the binary alone in an empty root (chroot): no libc, no
#            CA store, no resolv.conf, only an /etc/hosts entry; names resolve, the private-address
#            guard holds, TLS works with the bundled roots and with SSL_CERT_FILE
#   npm      npm install --offline of the launcher and platform tarballs; exit codes, signals,
#            the unsupported-platform message
#   wheel    pip install --no-index into a fresh venv (and uvx, when uv is at hand)
#   oci      the image's root filesystem unpacked by umoci and run by chroot with the image's own
#            user, environment and entrypoint; its labels checked
#   server   server.json against the MCP Registry's schema (packaging/mcp-registry/), and the
#            name in package.json, the wheel's README and the image label
# Prints the size of each artifact and how long each install and first session took.
#
# usage: scripts/artifacts-check.sh   (DIST_DIR as for dist.sh; run as root for chroot)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=${DIST_DIR:-$root/dist}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
target=x86_64-unknown-linux-gnu
name=portkey-admin-mcp
npm_name=portkey-admin-mcp-rs
py=$(python3 -c "import sys; print(sys.executable)")
chroot=$(command -v chroot)
smoke() { "$py" "$root/scripts/mcp-smoke.py" "$@"; }
now_ms() { date +%s%3N; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

report=()
note() { report+=("$(printf '%-34s %10s  install %6s ms  session %6s ms' "$1" "$2" "$3" "$4")"); }
size_of() { stat -c %s "$1"; }
ms_of() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["total_ms"])' "$1"; }
step() { printf '\n== %s\n' "$*"; }
die() { echo "artifacts-check: $*" >&2; exit 1; }

for f in "$name-$version-$target.tar.gz" "$npm_name-$version.tgz" "$npm_name-linux-x64-$version.tgz" \
  "$name-$version-oci-amd64.tar" server.json; do
  [ -f "$dist/$f" ] || die "$dist/$f is missing: run scripts/dist.sh first"
done
wheel=$(ls "$dist"/portkey_admin_mcp_rs-"$version"-*manylinux*x86_64*.whl 2>/dev/null | head -n1)
[ -n "$wheel" ] || die "no x86_64 Linux wheel in $dist: run scripts/dist.sh first"

# ---- a stand-in Portkey API on loopback: plain HTTP and HTTPS with a CA of our own ----------
step "stand-in API"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=artifacts-check CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=portkey.test" -keyout "$work/srv.key" \
  -out "$work/srv.csr" 2>/dev/null
printf 'subjectAltName=DNS:portkey.test\nextendedKeyUsage=serverAuth\n' >"$work/srv.ext"
openssl x509 -req -in "$work/srv.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/srv.ext" -out "$work/srv.pem" 2>/dev/null
cat >"$work/standin.py" <<'PY'
import http.server, json, socketserver, ssl, sys, threading
work = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(f"{work}/requests.log", "a") as log:
            log.write(json.dumps({"path": self.path, "key": self.headers.get("x-portkey-api-key")}) + "\n")
        body = json.dumps({"object": "list", "total": 0, "data": []}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
plain = S(("127.0.0.1", 0), H)
tls = S(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(f"{work}/srv.pem", f"{work}/srv.key")
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
with open(f"{work}/ports", "w") as f:
    f.write(f"{plain.server_address[1]} {tls.server_address[1]}\n")
threading.Thread(target=tls.serve_forever, daemon=True).start()
plain.serve_forever()
PY
python3 "$work/standin.py" "$work" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/ports" ] && break; sleep 0.1; done
read -r port tls_port <"$work/ports"
echo "http on 127.0.0.1:$port, https on 127.0.0.1:$tls_port"
key=pk-artifacts-check-key
api_env=(PORTKEY_API_KEY=$key PORTKEY_ALLOW_INSECURE_HTTP=true PORTKEY_ALLOW_PRIVATE_BASE_URL=true
  "PORTKEY_BASE_URL=http://127.0.0.1:$port/v1" "PORTKEY_PUBLIC_BASE_URL=http://127.0.0.1:$port")
touch "$work/requests.log"
seen_key() { grep -c "\"key\": \"$key\"" "$work/requests.log" || true; }

# ---- release archive ------------------------------------------------------------------------
step "archive"
archive=$dist/$name-$version-$target.tar.gz
(cd "$dist" && sha256sum -c "$(basename "$archive").sha256")
t0=$(now_ms)
mkdir "$work/archive" && tar -xzf "$archive" -C "$work/archive"
t_install=$(( $(now_ms) - t0 ))
exe=$work/archive/$name-$version-$target/$name
out=$(smoke --label archive --call list_workspaces --expect error --expect-text "claude mcp add portkey-admin -e PORTKEY_API_KEY=... -- portkey-admin-mcp" -- "$exe")
echo "$out"
note "release archive (.tar.gz)" "$(size_of "$archive")" "$t_install" "$(ms_of "$out")"
before=$(seen_key)
env -i "${api_env[@]}" "$py" "$root/scripts/mcp-smoke.py" --label archive+api --call list_workspaces -- "$exe"
[ "$(seen_key)" -gt "$before" ] || die "the stand-in never saw the key"
# Started by hand on a terminal it says, on stderr, that it waits for a client.
tty_out=$(timeout 10 script -qec "$exe 2>&1 >/dev/null" /dev/null </dev/null || true)
echo "$tty_out" | grep -q "waiting for an MCP client on stdio" || die "no first-contact line on a terminal: $tty_out"
echo "on a terminal: $(echo "$tty_out" | head -n1 | tr -d '\r')"
kind=$(file -b "$exe")
echo "$kind" | grep -Eq 'statically linked|static-pie linked' || die "not statically linked: $kind"
echo "binary: ${kind%%,  *}" | cut -c1-160

# ---- the binary alone in an empty root --------------------------------------------------------
step "empty root (chroot): the binary, /etc/hosts and a CA file, nothing else"
empty=$work/empty
mkdir -p "$empty/etc"
cp "$exe" "$empty/$name"
printf '127.0.0.1 portkey.test\n' >"$empty/etc/hosts"
cp "$work/ca.pem" "$empty/ca.pem"
echo "contents: $(cd "$empty" && find . -mindepth 1 | sort | tr '\n' ' ')"
in_root() { env -i "$@"; }
out=$(in_root "$chroot" "$empty" "/$name" --version) && echo "$out"
smoke --label empty-root -- "$chroot" "$empty" "/$name"
by_name=(PORTKEY_API_KEY=$key PORTKEY_ALLOW_INSECURE_HTTP=true)
before=$(seen_key)
in_root "${by_name[@]}" PORTKEY_ALLOW_PRIVATE_BASE_URL=true "PORTKEY_BASE_URL=http://portkey.test:$port/v1" \
  "$py" "$root/scripts/mcp-smoke.py" --label empty-root+hosts-name --call list_workspaces -- "$chroot" "$empty" "/$name"
[ "$(seen_key)" -gt "$before" ] || die "the call by /etc/hosts name did not reach the stand-in"
before=$(seen_key)
in_root "${by_name[@]}" "PORTKEY_BASE_URL=http://portkey.test:$port/v1" \
  "$py" "$root/scripts/mcp-smoke.py" --label empty-root+guard --call list_workspaces --expect error \
  --expect-text "refused to connect to portkey.test" -- "$chroot" "$empty" "/$name"
[ "$(seen_key)" -eq "$before" ] || die "the private-address guard let a request through"
in_root PORTKEY_API_KEY=$key PORTKEY_ALLOW_PRIVATE_BASE_URL=true "PORTKEY_BASE_URL=https://portkey.test:$tls_port/v1" \
  "$py" "$root/scripts/mcp-smoke.py" --label empty-root+tls-unknown-ca --call list_workspaces --expect error \
  --expect-text "certificate" -- "$chroot" "$empty" "/$name"
before=$(seen_key)
in_root PORTKEY_API_KEY=$key PORTKEY_ALLOW_PRIVATE_BASE_URL=true "PORTKEY_BASE_URL=https://portkey.test:$tls_port/v1" \
  SSL_CERT_FILE=/ca.pem \
  "$py" "$root/scripts/mcp-smoke.py" --label empty-root+tls-SSL_CERT_FILE --call list_workspaces -- "$chroot" "$empty" "/$name"
[ "$(seen_key)" -gt "$before" ] || die "the TLS call with SSL_CERT_FILE did not reach the stand-in"

# ---- npm ----------------------------------------------------------------------------------------
step "npm: install both tarballs offline"
launcher=$dist/$npm_name-$version.tgz
platform=$dist/$npm_name-linux-x64-$version.tgz
mkdir "$work/npm"
t0=$(now_ms)
(cd "$work/npm" && echo '{"name":"check","version":"1.0.0","private":true}' >package.json &&
  npm install --offline --no-audit --no-fund --loglevel=error "$launcher" "$platform")
t_install=$(( $(now_ms) - t0 ))
out=$(cd "$work/npm" && smoke --label npm -- npx --offline --no-install portkey-admin-mcp)
echo "$out"
note "npm launcher + linux-x64" "$(( $(size_of "$launcher") + $(size_of "$platform") ))" "$t_install" "$(ms_of "$out")"
nbin=$work/npm/node_modules/.bin/portkey-admin-mcp
"$nbin" --version | grep -q "$version" || die "npm: --version"
code=0; "$nbin" --no-such-flag >/dev/null 2>&1 || code=$?
[ "$code" = 2 ] || die "npm: a bad flag exited $code, expected the binary's 2"
# A signal sent to the launcher reaches the server, and the launcher dies of it too.
sleep 30 | "$nbin" 2>/dev/null &
lpid=$!
for _ in $(seq 50); do spid=$(pgrep -P "$lpid" || true); [ -n "$spid" ] && break; sleep 0.1; done
[ -n "$spid" ] || die "npm: the launcher started no server"
kill -TERM "$lpid"
code=0; wait "$lpid" || code=$?
[ "$code" = 143 ] || die "npm: SIGTERM gave exit $code, expected 143"
sleep 0.2
kill -0 "$spid" 2>/dev/null && die "npm: the server outlived its launcher"
msg=$(cd "$work/npm" && node -e 'Object.defineProperty(process, "platform", {value: "aix"}); require("./node_modules/portkey-admin-mcp-rs/bin/portkey-admin-mcp.js")' 2>&1) && die "npm: unsupported platform exited 0"
echo "$msg" | grep -q "no prebuilt binary for aix x64" || die "npm: unsupported platform said: $msg"
echo "npm: exit codes, SIGTERM and the unsupported-platform message pass"

# ---- Python wheel -------------------------------------------------------------------------------
step "wheel: pip install --no-index into a fresh venv"
python3 -m venv "$work/venv"
t0=$(now_ms)
"$work/venv/bin/pip" install --quiet --no-index --disable-pip-version-check "$wheel"
t_install=$(( $(now_ms) - t0 ))
out=$(smoke --label wheel -- "$work/venv/bin/portkey-admin-mcp")
echo "$out"
note "wheel ($(basename "$wheel" | sed 's/.*-py3-none-//'))" "$(size_of "$wheel")" "$t_install" "$(ms_of "$out")"
if command -v uvx >/dev/null 2>&1; then
  t0=$(now_ms)
  out=$(UV_CACHE_DIR=$work/uv-cache smoke --label uvx -- uvx --offline --no-config --from "$wheel" portkey-admin-mcp)
  echo "$out"
  note "wheel through uvx --from FILE" "$(size_of "$wheel")" "-" "$(( $(now_ms) - t0 ))"
else
  echo "uvx not found: skipped the uvx run (pip install uv to include it)"
fi

# ---- OCI image ----------------------------------------------------------------------------------
step "OCI image: unpack with umoci, run the root filesystem by chroot as the image says"
command -v umoci >/dev/null 2>&1 || die "umoci not found (apt-get install umoci)"
image=$dist/$name-$version-oci-amd64.tar
(cd "$dist" && sha256sum -c "$(basename "$image").sha256")
mkdir "$work/oci"
t0=$(now_ms)
tar -xf "$image" -C "$work/oci"
umoci unpack --image "$work/oci:$version" "$work/bundle" >/dev/null
t_install=$(( $(now_ms) - t0 ))
spec=$work/bundle/config.json
read -r uid gid < <(jq -r '"\(.process.user.uid) \(.process.user.gid)"' "$spec")
mapfile -t args < <(jq -r '.process.args[]' "$spec")
mapfile -t envs < <(jq -r '.process.env[]' "$spec")
[ "$uid" != 0 ] || die "image: runs as root"
printf '%s\n' "${envs[@]}" | grep -qx MCP_TRANSPORT=stdio || die "image: MCP_TRANSPORT=stdio missing"
echo "user $uid:$gid, entrypoint ${args[*]}, env ${envs[*]}"
echo "rootfs: $(cd "$work/bundle/rootfs" && find . -mindepth 1 | sort | tr '\n' ' ')"
out=$(env -i "${envs[@]}" "$py" "$root/scripts/mcp-smoke.py" --label oci -- \
  "$chroot" --userspec="$uid:$gid" "$work/bundle/rootfs" "${args[@]}")
echo "$out"
note "OCI image (oci-archive tar)" "$(size_of "$image")" "$t_install" "$(ms_of "$out")"
env -i "${envs[@]}" "${api_env[@]}" "$py" "$root/scripts/mcp-smoke.py" --label oci+api --call list_workspaces -- \
  "$chroot" --userspec="$uid:$gid" "$work/bundle/rootfs" "${args[@]}"

# ---- server.json and the names that must match it -----------------------------------------------
step "server.json"
mcp_name=$(jq -r .name "$dist/server.json")
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  python3 -m venv "$work/schema-venv"
  "$work/schema-venv/bin/pip" install --quiet --disable-pip-version-check "jsonschema>=4" ||
    die "could not install jsonschema from PyPI"
  schema_py=$work/schema-venv/bin/python
else
  schema_py=python3
fi
"$schema_py" - "$root/packaging/mcp-registry/server.schema.json" "$dist/server.json" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
for e in errors:
    print(f"server.json {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"server.json is valid against {schema['$id']}")
PY
got=$(jq -r .mcpName "$work/npm/node_modules/$npm_name/package.json")
[ "$got" = "$mcp_name" ] || die "package.json mcpName is $got, server.json says $mcp_name"
meta=$(ls "$work"/venv/lib/python*/site-packages/portkey_admin_mcp_rs-*.dist-info/METADATA)
grep -q "mcp-name: $mcp_name" "$meta" || die "the wheel's README lacks mcp-name: $mcp_name"
cfg_digest=$(jq -r '.manifests[0].digest' "$work/oci/index.json" | sed 's/sha256://')
manifest=$work/oci/blobs/sha256/$cfg_digest
config=$work/oci/blobs/sha256/$(jq -r '.config.digest' "$manifest" | sed 's/sha256://')
got=$(jq -r '.config.Labels["io.modelcontextprotocol.server.name"]' "$config")
[ "$got" = "$mcp_name" ] || die "the image label is $got, server.json says $mcp_name"
echo "$mcp_name matches package.json, the wheel's README and the image label"

step "summary (sizes in bytes)"
printf '%s\n' "${report[@]}"
echo "artifacts: 5 passed, 0 failed"
