#!/usr/bin/env bash
# Synchronous execute of a no-op action over HTTP keep-alive, driven by wrk, against a
# minimal Poco HTTPServer answering the same JSON (the cost of HTTP alone), in the same run.
# Usage: bench/http/http_bench.sh BUILD_DIR [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
build="${1:?build directory}"
duration="${2:-10}"
connections="${3:-16}"
here="$(cd "$(dirname "$0")" && pwd)"
relais_port=18180
baseline_port=18181

cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
pids=()
trap cleanup EXIT

rm -rf /tmp/relais-http-bench
"$build/bin/relais" serve --config "$here/bench.json" --port "$relais_port" >/tmp/relais-http-bench.log 2>&1 &
pids+=($!)
"$build/bin/http_baseline_server" "$baseline_port" >/dev/null 2>&1 &
pids+=($!)
for port in $relais_port $baseline_port; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; \
    curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
done

measure() {  # url -> "requests_per_second p99_ms"
  wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$here/post_echo.lua" "$1" >/tmp/wrk.out
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' /tmp/wrk.out)
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' /tmp/wrk.out)
  if grep -q "Non-2xx" /tmp/wrk.out; then echo "non-2xx answers:" >&2; cat /tmp/wrk.out >&2; exit 1; fi
  echo "$rps $p99"
}

read -r base_rps base_p99 < <(measure "http://127.0.0.1:$baseline_port/api/v1/connectors/diagnostics/actions/echo")
read -r relais_rps relais_p99 < <(measure "http://127.0.0.1:$relais_port/api/v1/connectors/diagnostics/actions/echo")

echo "HTTP no-op action, wrk -t2 -c$connections -d${duration}s, keep-alive"
printf "  baseline  minimal Poco HTTPServer, same JSON : %10.0f req/s   p99 %7.2f ms\n" "$base_rps" "$base_p99"
printf "  relais    POST .../diagnostics/actions/echo  : %10.0f req/s   p99 %7.2f ms\n" "$relais_rps" "$relais_p99"
awk -v r="$relais_rps" -v b="$base_rps" 'BEGIN { printf "  ratio     relais / baseline throughput     : %10.2f  (goal >= 0.70)\n", r / b }'
