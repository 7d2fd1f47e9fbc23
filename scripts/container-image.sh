#!/usr/bin/env bash
# Builds the rdpdiag container image (../Containerfile) and saves it as an OCI archive, with
# Debian's podman and nothing pulled: static rdpdiag and rdpdiag-collect (glibc with
# +crt-static, the rustup toolchain CI already has), copied FROM scratch with a non-root user
# (65532), entrypoint rdpdiag and a /data volume. Why: the README's Kubernetes Indexed Job needs
# an image, and the machines that build it reach package registries only (no base image).
#
# Run as root on Debian (apt-get, and podman's vfs storage with chroot isolation: building needs
# no container runtime). Output: $CONTAINER_WORK/rdpdiag-<version>.oci.tar, which
#   podman load -i <archive>    or    skopeo copy oci-archive:<archive> docker://REGISTRY/rdpdiag:<version>
# takes further. The image is stored in a podman store of its own ($CONTAINER_WORK/storage, vfs),
# so a machine's default store (often overlay) is neither used nor disturbed.
# Environment:
#   CONTAINER_WORK    context, store, archive (default: target/container)
#   CONTAINER_TAG     image name (default: localhost/rdpdiag:<version>)
#   CONTAINER_TARGET  Rust target triple of the binaries (default: the host's, a *-linux-gnu)
#   CONTAINER_PROFILE cargo profile of the binaries (default: release; CI: dev, see step 2)
#   CONTAINER_SKIP_CARGO=1  use the binaries already built (by an earlier run of this script)
# Cost measured on the 2-core machine, another developer building at the same time: release
# build 37 min cold with CARGO_BUILD_JOBS=1 (33 min of CPU, polars most of it); with the dev
# profile after `cargo test` (CI) 12 s per binary, only the binary crate is compiled; podman install 23 s (apt); image build 2 s, save 1.5 s.
# Image: 34 MB, OCI archive 11.1 MiB.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${CONTAINER_WORK:-$ROOT/target/container}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
t() { local s; s=$(date +%s%N); "$@"; local ms=$(( ($(date +%s%N) - s) / 1000000 )); echo "[time] $((ms/1000)).$(( (ms%1000)/100 ))s: $*" >&2; }

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
TAG=${CONTAINER_TAG:-localhost/rdpdiag:$VERSION}
TRIPLE=${CONTAINER_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}
case "$TRIPLE" in
  *-linux-gnu) ;;
  *) echo "container-image: $TRIPLE is not a *-linux-gnu target (set CONTAINER_TARGET)" >&2; exit 2 ;;
esac

# 1) podman (Debian 12: 4.3).
if ! command -v podman >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  t apt-get update -qq
  t apt-get install -y -q --no-install-recommends podman >/dev/null
fi

# 2) static binaries. `cargo rustc` passes +crt-static to the final binary crate only: its
#    dependencies are the ordinary build's artifacts (same profile, same flags), so CI links
#    the image's binaries from the test build's dependencies in seconds instead of building
#    polars a second time (the old RUSTFLAGS + --target build cost 17 min of CI's 69). Build
#    scripts and proc-macros never see the flag. Batch mode resolves no host names, so the
#    link-time warning about static getaddrinfo (NSS) does not concern it; the collector's
#    --server probe takes an address, and a static glibc (Debian 12) still resolves names from
#    /etc/hosts without any NSS library (checked in an empty chroot; DNS could not be checked
#    here: no network). The copies in the image are stripped: it carries the binaries only.
#    CONTAINER_PROFILE=dev (CI) links against the test build: unoptimised workspace code on
#    opt-level 2 dependencies, fine for checking the image; release (default) is what ships.
PROFILE=${CONTAINER_PROFILE:-release}
case "$PROFILE" in
  dev) PROFILE_DIR=debug ;;
  *) PROFILE_DIR=$PROFILE ;;
esac
TARGET_ARGS=()
OUT_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ -n "${CONTAINER_TARGET:-}" ]; then
  TARGET_ARGS=(--target "$TRIPLE")
  OUT_DIR="$OUT_DIR/$TRIPLE"
fi
OUT_DIR="$OUT_DIR/$PROFILE_DIR"
BIN="$WORK/bin"
mkdir -p "$BIN"
for pkg_bin in rdpdiag:rdpdiag rdpdiag-collect:rdpdiag-collect; do
  pkg=${pkg_bin%%:*}
  b=${pkg_bin#*:}
  if [ "${CONTAINER_SKIP_CARGO:-0}" != 1 ]; then
    (cd "$ROOT" && t cargo rustc --locked --profile "$PROFILE" "${TARGET_ARGS[@]}" -p "$pkg" --bin "$b" \
      -- -C target-feature=+crt-static)
  fi
  [ -x "$OUT_DIR/$b" ] || { echo "container-image: no $OUT_DIR/$b (built?)" >&2; exit 1; }
  strip -o "$BIN/$b" "$OUT_DIR/$b"
  # ldd: "not a dynamic executable" (static) or "statically linked" (static-pie).
  if ! ldd "$BIN/$b" 2>&1 | grep -Eq 'not a dynamic executable|statically linked'; then
    echo "container-image: $BIN/$b is dynamically linked:" >&2
    ldd "$BIN/$b" >&2 || true
    exit 1
  fi
  env -i "$BIN/$b" --version
done
# 3) build context: the image's whole file system, plus the empty folder that becomes /data.
CTX="$WORK/context"
rm -rf "$CTX"
mkdir -p "$CTX/rootfs/usr/local/bin" "$CTX/rootfs/etc" "$CTX/rootfs/tmp" "$CTX/data"
install -m 0755 "$BIN/rdpdiag" "$BIN/rdpdiag-collect" "$CTX/rootfs/usr/local/bin/"
chmod 1777 "$CTX/rootfs/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nrdpdiag:x:65532:65532:rdpdiag:/data:/sbin/nologin\n' \
  >"$CTX/rootfs/etc/passwd"
printf 'root:x:0:\nrdpdiag:x:65532:\n' >"$CTX/rootfs/etc/group"
chmod 0644 "$CTX/rootfs/etc/passwd" "$CTX/rootfs/etc/group"
cp "$ROOT/Containerfile" "$CTX/Containerfile"

# 4) build and save. vfs storage and chroot isolation: no overlay mounts, no runtime; cgroupfs
#    and a file events log: no systemd needed. --squash: one layer; --timestamp: the last
#    commit's time, so the same commit gives the same layer.
PODMAN=(podman --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs
  --cgroup-manager cgroupfs --events-backend file)
EPOCH=$(cd "$ROOT" && git log -1 --format=%ct 2>/dev/null || echo 0)
t "${PODMAN[@]}" build --isolation chroot --squash --timestamp "$EPOCH" \
  --build-arg VERSION="$VERSION" -t "$TAG" -f "$CTX/Containerfile" "$CTX"
ARCHIVE="$WORK/rdpdiag-$VERSION.oci.tar"
rm -f "$ARCHIVE"
t "${PODMAN[@]}" save --format oci-archive -o "$ARCHIVE" "$TAG"
"${PODMAN[@]}" images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' "$TAG"
echo "binaries: profile $PROFILE, linked in $OUT_DIR"
echo "image: $TAG, OCI archive $ARCHIVE: $(du -k "$ARCHIVE" | cut -f1) KiB" \
  "(binaries: rdpdiag $(du -k "$BIN/rdpdiag" | cut -f1) KiB, rdpdiag-collect $(du -k "$BIN/rdpdiag-collect" | cut -f1) KiB)"
