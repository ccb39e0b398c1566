#!/usr/bin/env bash
# The broker's start, as the official apache/kafka image does it: every KAFKA_* variable becomes a
# server.properties entry, by the naming convention it shares with Confluent's images (KAFKA_
# dropped, lower case, `___` -> `_`, `__` -> `-`, `_` -> `.`: KAFKA_LISTENER_SECURITY_PROTOCOL_MAP
# -> listener.security.protocol.map), except the variables that configure the JVM rather than the
# broker. Then the log dir is formatted once for CLUSTER_ID, and the broker replaces this script
# (exec), so that it is PID 1 and gets `docker stop`'s SIGTERM itself.
set -euo pipefail
props=/opt/kafka/config/server.properties
jvm_only=" KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_GC_LOG_OPTS KAFKA_LOG4J_OPTS KAFKA_JMX_OPTS KAFKA_JMX_PORT KAFKA_JMX_HOSTNAME KAFKA_VERSION "
: > "$props"
while IFS='=' read -r name value; do
  case "$jvm_only" in *" $name "*) continue ;; esac
  key=$(printf '%s' "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' | sed -e 's/___/@/g' -e 's/__/-/g' -e 's/_/./g' -e 's/@/_/g')
  printf '%s=%s\n' "$key" "$value" >> "$props"
done < <(env | grep -E '^KAFKA_[A-Z0-9_]+=' | sort)
if ! grep -q '^node.id=' "$props"; then
  echo "run.sh: KAFKA_NODE_ID is not set: set the KAFKA_* variables of a KRaft node (see docker-compose.yml's kafka service)" >&2
  exit 1
fi
# Without KAFKA_LOG_DIRS, the log dir is the image's volume, where docker-compose.yml mounts one.
grep -q '^log.dirs=' "$props" || echo 'log.dirs=/var/lib/kafka/data' >> "$props"
echo "run.sh: server.properties from the KAFKA_* variables:" >&2
sed 's/^/  /' "$props" >&2
# One node, formatted once: the cluster id only has to stay the same across restarts on the same
# volume, so a fixed one serves unless CLUSTER_ID is set (as in the official image).
cluster_id="${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}"
/opt/kafka/bin/kafka-run-class.sh kafka.tools.StorageTool format --cluster-id "$cluster_id" -c "$props" --ignore-formatted
exec java ${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G} ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -Djava.awt.headless=true} \
  ${KAFKA_OPTS:-} -Dlog4j2.configurationFile=/opt/kafka/config-defaults/log4j2.properties \
  -cp '/opt/kafka/libs/*' kafka.Kafka "$props"
