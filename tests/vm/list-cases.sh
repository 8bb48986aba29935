#!/bin/sh
# Prints "TOPIC NAME" for every case of the VM tests: each function
# case_NAME() in cases/TOPIC.sh, in file order.
here=$(cd "$(dirname "$0")" && pwd)
for topic in "${SNAPFREEZE_VM_CASES:-$here/cases/*.sh}"; do
	for file in $topic; do
		sed -n "s/^case_\([a-z0-9_]*\)() {\$/$(basename "$file" .sh) \1/p" "$file"
	done
done
