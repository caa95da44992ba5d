#!/usr/bin/env bash
# trainload's one entry point for a fresh machine.
#
#   ./trainload.sh demo    install what is missing, build, run the embedded server on 127.0.0.1
#                          with a generated sample dataset and exercise it with the AWS CLI
#   ./trainload.sh test    install what is missing, build, run every test (unit, component,
#                          system with real clients and mounts)
#   ./trainload.sh build   install what is missing and build only
#
# Installing needs root (apt-get); it only installs Debian packages that are not there yet.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
BUILD_DIR=${TRAINLOAD_BUILD_DIR:-$ROOT/build}

# Debian packages: build tools and libraries, then the real peers the tests and benchmarks run
# trainload against.
PACKAGES=(
  cmake ninja-build g++ pkg-config
  libssl-dev zlib1g-dev libisal-dev libpugixml-dev libcli11-dev
  libleveldb-dev libsnappy-dev nlohmann-json3-dev libfuse3-dev fuse3 libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev pybind11-dev python3-dev
  python3-pytest python3-boto3 python3-numpy python3-crcmod python3-torch python3-torchvision python3-pil
  awscli s3cmd rclone s3fs nginx curl wrk fio openssl procps nodejs
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "all ${#PACKAGES[@]} Debian packages present"
    return
  fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# s3rver, a third-party S3 server the client's component tests run against, pinned by
# tests/s3rver/package-lock.json. Idempotent: nothing to do once it is installed. npm is not in
# PACKAGES: NodeSource's nodejs bundles npm and conflicts with Debian's npm package, so Debian's
# is installed only when no npm command exists.
install_s3rver() {
  local dir="$ROOT/tests/s3rver"
  [[ -x "$dir/node_modules/.bin/s3rver" ]] && return
  if ! command -v npm >/dev/null; then
    log "installing Debian's npm"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends npm >/dev/null
  fi
  log "installing s3rver into $dir (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

build() {
  install_s3rver
  log "building in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTRAINLOAD_WERROR=ON >/dev/null
  ninja -C "$BUILD_DIR"
  # `import trainload.torch` from Debian's python3 anywhere: the package goes to
  # /usr/local/lib/python3.X/dist-packages (tests use the build tree's copy instead).
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" cmake --install "$BUILD_DIR" >/dev/null
}

case "${1:-}" in
  demo)
    install_missing
    build
    exec /usr/bin/python3 "$ROOT/scripts/demo.py" --trainload "$BUILD_DIR/src/cli/trainload"
    ;;
  test)
    install_missing
    build
    log "running every test"
    exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 1800
    ;;
  build)
    install_missing
    build
    ;;
  *)
    echo "usage: $0 demo|test|build" >&2
    exit 2
    ;;
esac
