#!/bin/bash
# A throwaway PostgreSQL cluster for the test suite (issue 16: make check-pg).
#   scripts/pg-cluster.sh run [--sql FILE] COMMAND...
#                                          make a cluster in a new temporary directory (FILE loaded into its
#                                          template1, so into every database made after), run COMMAND with
#                                          TAXID_TEST_PG (the socket directory) and TAXID_PG_BIN (the server's
#                                          bin directory) set, then stop the cluster and remove the directory,
#                                          whatever happens (the command fails, Ctrl-C, kill); exits as COMMAND
#   scripts/pg-cluster.sh start DIR        make and start a cluster in DIR (new or empty; DIR/data, the socket
#                                          in DIR itself); prints DIR
#   scripts/pg-cluster.sh stop DIR         stop the cluster of DIR and remove DIR
# The server listens on no TCP port (listen_addresses=''), only on a Unix socket in DIR, a directory of mode 0700:
# only the server's user and root reach it. Authentication on that socket is "trust", and the cluster's superuser
# has the name of the user who started it, so the tests connect without a password. When run as root the server
# runs as an unprivileged user (PostgreSQL refuses root): TAXID_PG_USER, else "postgres" (the Debian packages
# create it), else "nobody". The server's programs are found as a fresh Debian has them: TAXID_PG_BIN, else
# pg_config --bindir, else the newest /usr/lib/postgresql/*/bin. Nothing here is durable: fsync is off.
set -u

die() { echo "pg-cluster: $*" >&2; exit 69; }

# bindir: the directory holding initdb, pg_ctl and postgres.
bindir() {
	local d debian
	# the Debian layout, newest version first
	mapfile -t debian < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5nr)
	for d in "${TAXID_PG_BIN:-}" "$(pg_config --bindir 2>/dev/null)" "${debian[@]}"; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# server_user: who runs the server (empty: this user).
server_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	if [ -n "${TAXID_PG_USER:-}" ]; then
		echo "$TAXID_PG_USER"
	elif getent passwd postgres >/dev/null; then
		echo postgres
	else
		echo nobody
	fi
}

# as_server COMMAND...: run COMMAND as the server's user, from DIR (the user may not reach this directory).
as_server() {
	if [ -n "$user" ]; then
		(cd "$dir" && runuser -u "$user" -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

start() {
	dir=$1
	mkdir -p "$dir" || die "cannot make '$dir'"
	dir=$(cd "$dir" && pwd) || exit 69
	[ -z "$(ls -A "$dir")" ] || die "'$dir' is not empty"
	# A Unix socket's path holds at most 107 bytes.
	[ ${#dir} -le 90 ] || die "'$dir' is too long a path for a Unix socket (TMPDIR=/tmp helps)"
	bin=$(bindir) || die "no PostgreSQL server found (set TAXID_PG_BIN, or make test-deps installs it)"
	user=$(server_user)
	chmod 700 "$dir"
	if [ -n "$user" ]; then
		chown "$user:" "$dir" || die "cannot give '$dir' to $user"
	fi
	as_server "$bin/initdb" -D "$dir/data" -U "$(id -un)" --auth=trust --encoding=UTF8 --locale=C \
		--no-sync --no-instructions >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
	# 50 concurrent writers (tests/72-soak, 70-faults) and bats --jobs, each tool one connection; SERIALIZABLE
	# transactions take predicate locks, which run out with PostgreSQL's defaults on the larger tests.
	cat >>"$dir/data/postgresql.conf" <<-EOF
		# taxid test cluster (scripts/pg-cluster.sh): throwaway, socket only
		listen_addresses = ''
		unix_socket_directories = '$dir'
		unix_socket_permissions = 0700
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 200
		shared_buffers = 32MB
		max_locks_per_transaction = 256
		max_pred_locks_per_transaction = 256
		log_min_messages = warning
		log_line_prefix = '%m [%p] %d '
	EOF
	as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ tail -n 20 "$dir/server.log" >&2; die "the server did not start"; }
	echo "$dir"
}

stop() {
	dir=$1
	[ -d "$dir" ] || return 0
	if [ -f "$dir/data/postmaster.pid" ]; then
		bin=$(bindir) || bin=
		user=$(server_user)
		# "immediate": nothing in it is kept, so there is no checkpoint to wait for.
		if [ -z "$bin" ] || ! as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
			# pg_ctl failed: end the server we started, by the process id it wrote.
			local pid
			pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
			if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
				for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
				kill -KILL "$pid" 2>/dev/null
			fi
		fi
	fi
	rm -rf "$dir"
}

# end_run: what run leaves on any exit: the command's process group ended (as Ctrl-C would, then harder), the
# cluster stopped and its directory removed.
end_run() {
	local sig
	if [ -n "$child" ]; then
		for sig in INT TERM KILL; do
			kill -0 "$child" 2>/dev/null || break
			kill -"$sig" -- "-$child" 2>/dev/null
			for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
		done
	fi
	stop "$base"
}

# run [--sql FILE] COMMAND...: the command runs as a job of its own (its own process group, stdin from /dev/null, SIGINT not
# ignored even when this script was started in the background), so that a signal to this script ends the whole
# suite (bats, the tests, the tools) before the cluster goes.
run() {
	local status sql=
	if [ "${1:-}" = --sql ]; then
		sql=$2
		shift 2
	fi
	[ $# -gt 0 ] || die "usage: scripts/pg-cluster.sh run [--sql FILE] COMMAND..."
	child=
	base=$(mktemp -d "${TMPDIR:-/tmp}/taxid-pg.XXXXXX") || die "cannot make a temporary directory"
	trap end_run EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	start "$base" >/dev/null || exit 69
	if [ -n "$sql" ]; then
		"$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$base" -d template1 -f "$sql" || die "cannot load '$sql'"
	fi
	export TAXID_TEST_PG=$base TAXID_PG_BIN=$bin
	echo "pg-cluster: PostgreSQL $("$bin/postgres" --version | sed 's/^[^0-9]*//; s/ .*//') on $base${user:+ (server user $user)}"
	set -m
	env --default-signal=INT,TERM "$@" </dev/null &
	child=$!
	set +m
	status=0
	wait "$child" || status=$?
	child=
	exit "$status"
}

case "${1:-}" in
run) shift; run "$@" ;;
start)
	[ $# -eq 2 ] || die "usage: scripts/pg-cluster.sh start DIR"
	[ ! -e "$2" ] || [ -z "$(ls -A "$2")" ] || die "'$2' is not empty"
	trap 'stop "$2"' EXIT # a cluster that failed to start leaves nothing behind
	start "$2"
	trap - EXIT
	;;
stop) [ $# -eq 2 ] || die "usage: scripts/pg-cluster.sh stop DIR"; stop "$2" ;;
*) echo "usage: scripts/pg-cluster.sh run [--sql FILE] COMMAND... | start DIR | stop DIR" >&2; exit 64 ;;
esac
