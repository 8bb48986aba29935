#!/bin/sh
# Azure's guest agent runs this from the extension's folder, as
# HandlerManifest.json says. install: the Debian packages shipped in
# packages/ (apt builds the module with DKMS when the kernel's headers are
# there; without them snapshots fall back to FIFREEZE), then the handler's
# own install. uninstall: the handler's own (a running snapshot stopped),
# then the packages purged. Everything else: snapfreeze handler.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
case "${1:-}" in
install)
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"$here"/packages/snapfreeze_*.deb "$here"/packages/snapfreeze-dkms_*.deb
	exec snapfreeze handler install
	;;
uninstall)
	snapfreeze handler uninstall
	DEBIAN_FRONTEND=noninteractive apt-get purge -y snapfreeze snapfreeze-dkms
	;;
enable | disable | update)
	exec snapfreeze handler "$1"
	;;
*)
	echo "usage: $0 install|enable|disable|uninstall|update" >&2
	exit 2
	;;
esac
