#!/bin/sh
# The Shale image's entrypoint, in the manner of the official redis image's:
#   (no arguments)                   shale-server /etc/shale/shale.conf
#   --name value ...                 shale-server /etc/shale/shale.conf --name value ...
#   shale-server [--name value ...]  the same
#   shale-server /other.conf ...     that file instead of /etc/shale/shale.conf
#   anything else (sh, redis-cli...) run as given
# For shale-server, every environment variable SHALE_<NAME> becomes the setting <name>
# (lower case, "_" read as "-"): SHALE_REQUIREPASS=x is --requirepass x. They come after the
# file and before the arguments, so an argument wins over the environment. The value is one
# word, spaces included (a password may have them), except for bind and
# client-output-buffer-limit, whose values are split into words at blanks.
# The server is exec'd: it is the container's main process and gets SIGTERM itself.
set -eu

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- shale-server "$@"
fi

if [ "$1" = "shale-server" ]; then
  shift
  if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    config=/etc/shale/shale.conf
  else
    config=$1
    shift
  fi
  # Rebuild the argument list as: file, the environment's settings, the arguments. The file
  # and the settings are appended after the arguments, then the arguments are rotated, one
  # by one and in order, from the front to the end.
  count=$#
  set -- "$@" "$config"
  for name in $(env | sed -n 's/^SHALE_\([A-Z0-9_]*\)=.*/\1/p' | sort); do
    value=""
    eval "value=\${SHALE_$name}"
    setting=$(echo "$name" | tr 'A-Z_' 'a-z-')
    case "$setting" in
      bind | client-output-buffer-limit)
        # shellcheck disable=SC2086 # split into words on purpose
        set -- "$@" "--$setting" $value
        ;;
      *) set -- "$@" "--$setting" "$value" ;;
    esac
  done
  while [ "$count" -gt 0 ]; do
    set -- "$@" "$1"
    shift
    count=$((count - 1))
  done
  exec shale-server "$@"
fi

exec "$@"
