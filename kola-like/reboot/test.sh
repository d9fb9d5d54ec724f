#!/bin/bash
# kola's reboot protocol, as kola's own tests use it.
## kola:
##   tags: reboot
##   timeoutMin: 15
##   description: autopkgtest-reboot reboots and passes the mark back; data/ is at $KOLA_EXT_DATA.
set -euo pipefail

grep -q "data shipped with the test" "$KOLA_EXT_DATA/payload.txt"
case "${AUTOPKGTEST_REBOOT_MARK:-}" in
"")
    cat /proc/sys/kernel/random/boot_id > /var/lib/kola-reboot-test-boot-id
    /tmp/autopkgtest-reboot rebooted-once
    ;;
rebooted-once)
    before=$(cat /var/lib/kola-reboot-test-boot-id)
    now=$(cat /proc/sys/kernel/random/boot_id)
    [ "$before" != "$now" ] || { echo "the boot id did not change" >&2; exit 1; }
    echo "rebooted: $before -> $now"
    ;;
*)
    echo "unexpected mark: $AUTOPKGTEST_REBOOT_MARK" >&2; exit 1
    ;;
esac
