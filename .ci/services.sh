# Sourced by .ci/run and .ci/as_shipped: start PostgreSQL and Redis when they are not running, and wait for them.
# Needs: wait_for (defined below when the caller has none).

redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if ! declare -F wait_for >/dev/null; then
    wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
        local limit="$1" what="$2"
        shift 2
        for _ in $(seq 1 "$limit"); do
            if "$@" >/dev/null 2>&1; then echo "$what: ready"; return 0; fi
            sleep 1
        done
        echo "!!!! $what did not answer within ${limit}s" >&2
        return 1
    }
fi

start_services() {
    if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
        local version
        version="$(ls /etc/postgresql | sort -V | tail -n 1)"
        if ! pg_ctlcluster "$version" main status >/dev/null 2>&1; then
            echo "starting PostgreSQL $version"
            pg_ctlcluster --skip-systemctl-redirect "$version" main start
        fi
    fi
    if ! redis_up; then
        echo "starting Redis"
        mkdir -p /var/lib/redis /var/log/redis
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
            --dir /var/lib/redis --logfile /var/log/redis/ci.log
    fi
    wait_for 60 "PostgreSQL" pg_isready -h 127.0.0.1 -p 5432 -U postgres
    wait_for 60 "Redis" redis_up
}

fresh_database() {  # fresh_database NAME: dropped and created again, UTF-8 (pg_trgm finds no Chinese trigrams under C)
    dropdb -h 127.0.0.1 -U postgres --if-exists --force "$1"
    createdb -h 127.0.0.1 -U postgres -E UTF8 --locale=C.UTF-8 -T template0 "$1"
}
