#!/bin/sh
# Install Debian packages when we can (as root, with apt); otherwise print the command to run.
# Usage: tools/apt-install.sh PACKAGE...
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
else
    echo "minidl needs the Debian package(s) $*. Install with:" >&2
    echo "    sudo apt-get install -y $*" >&2
    echo "then run make again." >&2
    exit 1
fi
