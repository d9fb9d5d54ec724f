/// What a booted Debian guest of the default image answers `BootProfile.probe` (systemd's
/// monotonic timestamps in µs, Debian's `sshd.service` alias resolving to `ssh.service`, and
/// ostree-prepare-root's journal lines): for the profile's parser and the fake guest.
public enum BootProfileAnswer {
    public static let debian = """
        initrd 2100000
        userspace 9600000
        unit qemu-guest-agent.service 15300000
        unit ssh.service 16100000
        unit ssh.service 16100000
        [    3.012345] debian systemd[1]: Starting ostree-prepare-root.service - OSTree Prepare OS/...
        [    3.100000] debian ostree-prepare-root[301]: sysroot.readonly configuration value: 0
        [    3.812345] debian systemd[1]: Finished ostree-prepare-root.service - OSTree Prepare OS/.

        """
}
