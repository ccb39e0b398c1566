#!/bin/sh
# The official redis image is compiled with protected mode off by default, so that other
# containers can reach a Redis started without a config file (`redis-server --appendonly yes`,
# as docker-compose.yml does). Debian's build has it on, and would then refuse every client not on
# loopback: without a config file, turn it off the same way. With a config file (first argument
# after redis-server not an option), the file decides.
set -e
if [ "$1" = redis-server ]; then
  case "${2:-}" in
    ''|-*) shift; set -- redis-server "$@" --protected-mode no ;;
  esac
fi
exec "$@"
