# The container image, built by Docker or Podman: `docker build -t portkey-admin-mcp .`
# The final stage is the image scripts/dist.sh assembles with umoci (tests/packaging.rs keeps the
# two in step): the static binary at /usr/local/bin/portkey-admin-mcp on an empty base, run as
# user 65532 (mcp) with /tmp as its home and working directory, serving stdio unless
# MCP_TRANSPORT=http. Only the HEALTHCHECK is Docker's own (the OCI image format has none).

# ---- build: a static glibc binary, as dist.sh builds it --------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# +crt-static links the C runtime in; getrandom() is linked directly because a static binary
# cannot find it through dlsym and the empty base has no /dev/urandom.
ENV RUSTFLAGS="-C target-feature=+crt-static --cfg getrandom_backend=\"linux_getrandom\""
# On x86_64 the functions a stdio session runs go first in the code (scripts/startup-order.txt;
# see scripts/dist.sh), read by lld, the target's default linker.
RUN target="$(rustc -vV | sed -n 's/^host: //p')" \
 && if [ "$target" = x86_64-unknown-linux-gnu ] && [ -s scripts/startup-order.txt ]; then \
      export RUSTFLAGS="$RUSTFLAGS -C link-arg=-Wl,--symbol-ordering-file=/src/scripts/startup-order.txt -C link-arg=-Wl,--no-warn-symbol-ordering"; \
    fi \
 && cargo build --locked --release --target "$target" \
 && cp "target/$target/release/portkey-admin-mcp" /portkey-admin-mcp

# ---- the root file system: the binary, one user, a writable /tmp ----------------------------
FROM busybox:stable AS rootfs
COPY --from=build /portkey-admin-mcp /rootfs/usr/local/bin/portkey-admin-mcp
RUN chmod 0755 /rootfs/usr/local/bin/portkey-admin-mcp \
 && mkdir -p /rootfs/etc /rootfs/tmp && chmod 1777 /rootfs/tmp \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nmcp:x:65532:65532:portkey-admin-mcp:/tmp:/sbin/nologin\n' >/rootfs/etc/passwd \
 && printf 'root:x:0:\nmcp:x:65532:\n' >/rootfs/etc/group

# ---- the image ----------------------------------------------------------------------------
FROM scratch
COPY --from=rootfs /rootfs/ /
USER 65532:65532
WORKDIR /tmp
ENV PATH=/usr/local/bin MCP_TRANSPORT=stdio HOME=/tmp
LABEL org.opencontainers.image.title="portkey-admin-mcp" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/portkey-admin-mcp-rs/portkey-admin-mcp"
# In http mode (MCP_TRANSPORT=http) asks the server's /health on MCP_PORT; in stdio mode there is
# no server and the check passes.
HEALTHCHECK --interval=15s --timeout=6s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/portkey-admin-mcp", "health"]
ENTRYPOINT ["/usr/local/bin/portkey-admin-mcp"]
