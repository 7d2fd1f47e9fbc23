# shellcheck shell=bash
# Shell functions shared by the measurement scripts (scripts/batch-memory.sh, bench/run.sh).
# Source it; it defines functions only and changes no shell option.

# Installs GNU time when /usr/bin/time is missing (peak RSS comes from its %M / -v output).
ensure_gnu_time() {
    [ -x /usr/bin/time ] && return 0
    echo "installing GNU time (for peak RSS)" >&2
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
    else
        sudo apt-get install -y time >/dev/null
    fi
}

# generate_tickets SAMPLES WANT DIR NOISE
#
# Writes WANT small tickets into DIR with the rdpdiag-samples binary SAMPLES: one folder per
# ticket (T00000-<scenario>, T00001-<scenario>, ...) holding the client and the server bundle
# zip. Every scenario in turn, NOISE unrelated records per host, 2 attempts, seeds 1, 2, ...:
# the same arguments give the same tickets.
generate_tickets() {
    local samples=$1 want=$2 dir=$3 noise=$4
    local seed=0 n=0 scratch round client scen t
    mkdir -p "$dir"
    scratch=$(mktemp -d "${dir%/}.gen.XXXXXX")
    while [ "$n" -lt "$want" ]; do
        seed=$((seed + 1))
        round="$scratch/round-$seed"
        "$samples" generate all --seed "$seed" --noise "$noise" --attempts 2 -o "$round" >/dev/null
        for client in "$round"/*-client.zip; do
            [ "$n" -lt "$want" ] || break
            scen=$(basename "$client" -client.zip)
            t=$(printf '%s/T%05d-%s' "$dir" "$n" "$scen")
            mkdir -p "$t"
            mv "$client" "$round/$scen-server.zip" "$t/"
            n=$((n + 1))
        done
        rm -rf "$round"
    done
    rm -rf "$scratch"
}
