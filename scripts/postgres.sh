#!/usr/bin/env bash
# PostgreSQL 15 + pgvector for footnote's PostgreSQL store (issue 18): install what is missing,
# start a throwaway cluster for tests and benchmarks, stop it.
#
#   scripts/postgres.sh install              postgresql-server-dev-15 (apt) and pgvector 0.8.0,
#                                            built from Debian trixie's source package
#   scripts/postgres.sh start [DIR] [PORT]   initdb + start in DIR (default /tmp/footnote-pg),
#                                            port PORT (default 55432), database `footnote` with
#                                            the `vector` extension; the URL is the last line on
#                                            stdout, everything else goes to stderr
#   scripts/postgres.sh stop [DIR]           stop it and remove DIR
#   scripts/postgres.sh down [DIR]           stop it, keeping its data (a database outage in a test)
#   scripts/postgres.sh up [DIR]             start it again after `down`, same port and data
#
# Why built from source: bookworm packages PostgreSQL 15 but not pgvector; trixie packages
# pgvector (for PostgreSQL 17 only), and its source package builds against PostgreSQL 15 with
# pgvector's own `make && make install` (see /work/shared/notes/postgres.md). The trixie source
# line lives in a private apt configuration under target/, so the machine's sources stay as they
# are and `apt-get update` elsewhere never sees trixie.
set -euo pipefail

# Pinned: the version the store is written and tested against. The Debian revision may move (a
# trixie point release); the upstream version may not without a deliberate change here.
PGVECTOR_VERSION=0.8.0
PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BIN/pg_config
DEFAULT_DIR=/tmp/footnote-pg
DEFAULT_PORT=55432
ROOT=$(cd "$(dirname "$0")/.." && pwd)

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# install

# The version pgvector's control file declares, or nothing when it is not installed.
installed_pgvector() {
  local control
  control="$("$PG_CONFIG" --sharedir)/extension/vector.control"
  [ -f "$control" ] || return 0
  sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$control"
}

cmd_install() {
  [ -x "$PG_CONFIG" ] || die "PostgreSQL $PG_MAJOR is not installed ($PG_CONFIG missing)"
  local have
  have=$(installed_pgvector)
  if [ "$have" = "$PGVECTOR_VERSION" ]; then
    log "pgvector $have already installed for PostgreSQL $PG_MAJOR; nothing to do"
    return 0
  elif [ -n "$have" ]; then
    # Someone else's pgvector: replacing it could break their databases, so say so and stop.
    die "pgvector $have is installed for PostgreSQL $PG_MAJOR, this project pins $PGVECTOR_VERSION"
  fi
  [ "$(id -u)" = 0 ] || die "installing needs root (apt-get, make install into $($PG_CONFIG --pkglibdir))"
  local t0=$SECONDS
  export DEBIAN_FRONTEND=noninteractive

  # Server headers (postgres.h and PGXS) for building an extension. --no-install-recommends keeps
  # it to the build dependencies. It may pull the server package up to the same point release
  # (15.x minor releases keep the extension ABI); a container's policy-rc.d keeps apt from starting
  # Debian's own cluster then.
  if [ ! -f "$("$PG_CONFIG" --includedir-server)/postgres.h" ]; then
    log "installing postgresql-server-dev-$PG_MAJOR"
    apt-get install -y -qq --no-install-recommends "postgresql-server-dev-$PG_MAJOR" >&2 || {
      apt-get update -qq >&2
      apt-get install -y -qq --no-install-recommends "postgresql-server-dev-$PG_MAJOR" >&2
    }
  fi
  command -v dpkg-source >/dev/null || apt-get install -y -qq --no-install-recommends dpkg-dev >&2
  command -v make >/dev/null && command -v gcc >/dev/null ||
    apt-get install -y -qq --no-install-recommends make gcc >&2

  # A private apt: its own sources list (one trixie deb-src line, checked against Debian's archive
  # keyring, which on bookworm already holds the trixie keys), its own lists, cache and state. The
  # machine's /etc/apt/sources.list* and /var/lib/apt are neither read for sources nor written
  # (apt.conf.d still applies, e.g. a proxy).
  local work=$ROOT/target/pgvector-build
  rm -rf "$work"
  mkdir -p "$work/sources.list.d" "$work/state/lists/partial" "$work/cache/archives/partial" "$work/src"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    >"$work/sources.list"
  local apt=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/sources.list.d"
    -o "Dir::State=$work/state" -o "Dir::Cache=$work/cache" -o "Acquire::Languages=none"
    -o "APT::Sandbox::User=root")
  log "fetching the trixie source index (private apt configuration in $work)"
  apt-get "${apt[@]}" update -qq >&2

  # The newest trixie revision of the pinned upstream version (e.g. 0.8.0-1); fail, rather than
  # build something else, if trixie has moved on.
  local version
  version=$(apt-cache "${apt[@]}" showsrc pgvector | sed -n 's/^Version: //p' |
    grep -E "^${PGVECTOR_VERSION//./\\.}-" | sort -V | tail -1 || true)
  [ -n "$version" ] || die "trixie has no pgvector $PGVECTOR_VERSION source (has: $(apt-cache "${apt[@]}" showsrc pgvector | sed -n 's/^Version: //p' | tr '\n' ' '))"
  log "downloading pgvector $version source (hashes checked against the signed index)"
  (cd "$work/src" && apt-get "${apt[@]}" source --download-only -qq "pgvector=$version" >&2)
  # Unpack with Debian's patches applied; the .dsc's own signature is not needed, its hashes were
  # checked against the signed Sources index by apt.
  (cd "$work/src" && dpkg-source --no-check -x ./pgvector_*.dsc pgvector >&2)

  # Debian's patch (no-native) drops upstream's -march=native: a portable build, the same code as
  # Debian's binary package (distances still auto-vectorised for the baseline CPU). with_llvm=no
  # skips JIT bitcode (clang, twice the compile time, no use for this extension).
  log "building pgvector against $("$PG_CONFIG" --version)"
  make -C "$work/src/pgvector" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" with_llvm=no >&2
  make -C "$work/src/pgvector" -s install PG_CONFIG="$PG_CONFIG" with_llvm=no >&2

  have=$(installed_pgvector)
  [ "$have" = "$PGVECTOR_VERSION" ] || die "after make install the control file says '$have', not $PGVECTOR_VERSION"
  [ -f "$("$PG_CONFIG" --pkglibdir)/vector.so" ] || die "vector.so missing after make install"
  # The build tree stays (for a look at what was built); the private apt state (most of the space:
  # trixie's Sources index) goes.
  rm -rf "$work/state" "$work/cache"
  log "pgvector $have installed for PostgreSQL $PG_MAJOR in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------------------------
# start / stop

# Runs a PostgreSQL binary as the postgres user when we are root (the server refuses to run as
# root), as ourselves otherwise.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A directory this script made: only such a directory is ever removed.
MARKER=.footnote-throwaway-cluster

# Whether the postmaster recorded in DIR/data/postmaster.pid is alive. Read from /proc rather than
# `pg_ctl status`: a postmaster killed with -9 can linger as a zombie (PID 1 of a container does not
# always reap), which kill(pid, 0) and so pg_ctl still count as running.
postmaster_alive() {
  local pidfile=$1/data/postmaster.pid pid state
  [ -f "$pidfile" ] || return 1
  pid=$(head -n 1 "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/.*) \(.\).*/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]
}

cmd_start() {
  local dir=${1:-$DEFAULT_DIR} port=${2:-$DEFAULT_PORT}
  [[ $port =~ ^[0-9]+$ ]] || die "port '$port' is not a number"
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL $PG_MAJOR is not installed ($PG_BIN)"
  [ -n "$(installed_pgvector)" ] || die "pgvector is not installed: run scripts/postgres.sh install"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # The unix socket goes in DIR; its path must fit in sun_path (107 bytes).
  [ ${#dir} -le 90 ] || die "DIR '$dir' is too long for a unix socket path"
  if postmaster_alive "$dir"; then
    die "a cluster is already running in $dir: scripts/postgres.sh stop $dir"
  fi
  if [ -n "$(ls -A "$dir")" ] && [ ! -e "$dir/$MARKER" ]; then
    die "$dir is not empty and not a throwaway cluster of this script; refusing to use it"
  fi
  # Throwaway: whatever a previous run left (a stopped or crashed cluster) starts over.
  rm -rf "${dir:?}/data" "$dir/log"
  touch "$dir/$MARKER"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    runuser -u postgres -- test -w "$dir" ||
      die "the postgres user cannot write $dir (is a parent directory closed to it?)"
  fi

  local t0 t1 t2
  t0=$(date +%s%N)
  # trust auth on 127.0.0.1 and the socket: a test cluster nobody else can reach. --no-sync and
  # fsync=off: nothing here has to survive a crash of the machine, and tests run faster.
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  t1=$(date +%s%N)
  echo "$port" > "$dir/port"
  pg_start "$dir" "$port"
  t2=$(date +%s%N)
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  "${psql[@]}" -d postgres -c 'CREATE DATABASE footnote' >&2
  "${psql[@]}" -d footnote -c 'CREATE EXTENSION vector' >&2
  log "initdb $(((t1 - t0) / 1000000)) ms, start $(((t2 - t1) / 1000000)) ms; data in $dir/data, log $dir/log"
  echo "postgres://postgres@127.0.0.1:$port/footnote"
}

# Starts the cluster in DIR ($1) on port $2.
pg_start() {
  local dir=$1 port=$2
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { tail -n 20 "$dir/log" >&2; die "the cluster did not start (log above)"; }
}

cmd_down() {
  local dir=${1:-$DEFAULT_DIR}
  [ -e "$dir/$MARKER" ] || die "$dir is not a throwaway cluster of this script; refusing to touch it"
  postmaster_alive "$dir" || die "no live cluster in $dir"
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
  log "cluster in $dir down (data kept: scripts/postgres.sh up $dir)"
}

cmd_up() {
  local dir=${1:-$DEFAULT_DIR}
  [ -e "$dir/$MARKER" ] && [ -f "$dir/port" ] || die "$dir holds no cluster of this script"
  postmaster_alive "$dir" && die "the cluster in $dir is already up"
  pg_start "$dir" "$(cat "$dir/port")"
  log "cluster in $dir up again on port $(cat "$dir/port")"
}

cmd_stop() {
  local dir=${1:-$DEFAULT_DIR}
  [ -d "$dir" ] || { log "$dir does not exist; nothing to stop"; return 0; }
  [ -e "$dir/$MARKER" ] || die "$dir is not a throwaway cluster of this script; refusing to touch it"
  if postmaster_alive "$dir"; then
    local t0
    t0=$(date +%s%N)
    # fast: disconnect clients and stop at once; immediate if that hangs (a stuck test client).
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null ||
      as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null ||
      ! postmaster_alive "$dir" || die "the cluster in $dir would not stop (log: $dir/log)"
    log "stopped the cluster in $dir ($((($(date +%s%N) - t0) / 1000000)) ms)"
  else
    # Already dead (crashed, killed): its orphaned backends exit on their own once they notice.
    log "no live cluster in $dir"
  fi
  rm -rf "${dir:?}"
}

case "${1:-}" in
  install) shift; cmd_install "$@" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  down) shift; cmd_down "$@" ;;
  up) shift; cmd_up "$@" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
