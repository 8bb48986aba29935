#!/bin/sh
# The fsfreeze hook of the libvirt tests (snapfreeze agent --fsfreeze-hook,
# called as qemu-ga calls its hook): the application's scripts of the
# end-to-end tests, the pre-script before the freeze, the post-script after
# the thaw.
case $1 in
freeze) exec /tests/cases/app-pre.sh ;;
thaw) exec /tests/cases/app-post.sh ;;
esac
