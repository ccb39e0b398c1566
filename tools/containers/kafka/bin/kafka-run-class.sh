#!/usr/bin/env bash
# Runs a Kafka tool class from the image's jars, as the distribution's kafka-run-class.sh does
# (which is not on Maven Central), with a tool's small heap and warnings-only logging on stderr.
set -euo pipefail
exec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
  -Dlog4j2.configurationFile=/opt/kafka/config-defaults/tools-log4j2.properties \
  -cp '/opt/kafka/libs/*' "$@"
