#!/bin/sh
# Usage: tests/vm/azure.sh
#
# The Azure extension handler's flow in a booted VM (run.sh, for each test
# kernel): the cases of azure/handler.sh run `snapfreeze handler` as Azure's
# guest agent does, from the extension's folder, with settings in the
# agent's shape (protected settings encrypted here to a throwaway
# certificate, which the VM gets as its agent's); the guest reaches
# snapfreeze-hostd's Azure listener (azure/agent.sh) at 168.63.129.16:80
# through QEMU's user network, as it reaches Azure's wire server, and a
# second listener that never answers dosnapshot at 168.63.129.16:81. Once
# the VM stopped, azure/verify.sh checks what hostd did. Prints TAP; exits
# 1 if any test failed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/kenv.sh"
files=$kenv_cache/azure-files
port=${SNAPFREEZE_AZURE_PORT:-18780}
hang_port=$((port + 1))

rm -rf "$files"
mkdir -p "$files"
thumbprint=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=snapfreeze-azure-test -days 1 \
	-keyout "$files/$thumbprint.prv" -out "$files/$thumbprint.crt" 2>/dev/null
printf '{"snapshotTaskToken": "token-from-the-protected-settings"}' |
	openssl cms -encrypt -binary -aes256 -outform DER "$files/$thumbprint.crt" |
	base64 -w0 >"$files/protected"
echo "$thumbprint" >"$files/thumbprint"
printf '%s' '{"backupMetadata": [{"Key": "BackupTime", "Value": "made up"}], "includedDisks": {"dataDiskLunList": [0, 1], "isOSDiskIncluded": true}, "dynamicConfigsFromCRP": [{"Key": "isSnapshotTtlEnabled", "Value": "false"}]}' |
	base64 -w0 >"$files/objectStr"

# QEMU's guestfwd to a chardev is one stream opened when QEMU starts; a
# command (cmd:) runs once per connection of the guest, as a wire server
# takes them: socat carries each to hostd's listener.
for p in "$port" "$hang_port"; do
	printf '#!/bin/sh\nexec socat - TCP:127.0.0.1:%s\n' "$p" >"$files/forward-$p"
	chmod 755 "$files/forward-$p"
done

SNAPFREEZE_VM_CASES="$here/azure/handler.sh" \
	SNAPFREEZE_VM_FILES="$files" \
	SNAPFREEZE_VM_MODULES=virtio_net \
	SNAPFREEZE_VM_QEMU_ARGS="-netdev user,id=azure,net=168.63.129.0/24,restrict=on,guestfwd=tcp:168.63.129.16:80-cmd:$files/forward-$port,guestfwd=tcp:168.63.129.16:81-cmd:$files/forward-$hang_port -device virtio-net-pci,netdev=azure" \
	SNAPFREEZE_AZURE_PORT=$port \
	SNAPFREEZE_VM_HOST_AGENT="$here/azure/agent.sh" \
	SNAPFREEZE_VM_HOST_CHECKS="$here/azure/verify.sh" \
	exec "$here/run.sh"
