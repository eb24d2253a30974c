#!/bin/sh
# Creates each topic in $TOPICS on the broker at $BOOTSTRAP unless it exists (compose one-shot).
set -eu
for topic in $TOPICS; do
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions 3 --replication-factor 1
done
