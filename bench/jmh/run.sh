#!/usr/bin/env bash
# JMH micro-benchmarks of aigw's hot paths. Usage: bench/jmh/run.sh [JMH options, e.g. RouteMatch -f 1]
# Builds the gateway jar if missing, compiles the benchmarks against it, runs them (about 6 minutes
# with the defaults below), and writes bench/results/jmh-<date>.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
[ -f dist/target/aigw.jar ] || mvn -B -o -q package -DskipTests
mvn -B -o -q -f bench/jmh/pom.xml compile
CP="bench/jmh/target/classes:$(cat bench/jmh/target/classpath.txt):dist/target/aigw.jar"
mkdir -p bench/results
OUT="bench/results/jmh-$(date +%Y-%m-%d-%H%M%S).txt"
ARGS=("$@")
[ ${#ARGS[@]} -eq 0 ] && ARGS=(-f 1 -wi 3 -w 2s -i 5 -r 2s)
timeout 3600 java -Xmx512m -cp "$CP" org.openjdk.jmh.Main "${ARGS[@]}" -jvmArgs "-Xms256m -Xmx256m" 2>&1 | tee "$OUT"
echo "results: $OUT"
