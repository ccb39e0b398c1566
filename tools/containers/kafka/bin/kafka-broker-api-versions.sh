#!/usr/bin/env bash
# As the distribution's kafka-broker-api-versions.sh (docker-compose.yml's healthcheck).
exec /opt/kafka/bin/kafka-run-class.sh org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
