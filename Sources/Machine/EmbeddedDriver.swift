import Foundation
import Libvirt

/// libvirt's QEMU driver running inside harness (`qemu:///embed?root=DIR`): no daemon, and
/// its configuration under `DIR/etc`.
public enum EmbeddedDriver {
    /// Keeps libvirt's own log away from the user (see `LibvirtLogging.turnOff`). libvirt has
    /// read its log settings from the environment before `main` runs, so a process without
    /// `LIBVIRT_LOG_OUTPUTS` runs itself again with it set; call this first thing in `main`.
    /// A user's own setting wins (`LIBVIRT_LOG_OUTPUTS=3:stderr` shows warnings and errors).
    public static func quietLogging() {
        guard LibvirtLogging.turnOff() else { return }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only when exec failed: carry on, warnings and all.
    }

    /// Writes the driver's configuration: QEMU's own output goes straight to files (there is
    /// no virtlogd daemon to collect it), and QEMU runs as the user running harness, who owns
    /// the overlays (Debian's default is a `libvirt-qemu` user that cannot read them).
    static func prepare(root: String) throws {
        let userName = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
        let groupName = getgrgid(getgid()).map { String(cString: $0.pointee.gr_name) } ?? "root"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        let configuration = """
            # Written by harness for its embedded libvirt QEMU driver.
            stdio_handler = "file"
            user = "\(userName)"
            group = "\(groupName)"

            """
        try configuration.write(toFile: root + "/etc/qemu.conf", atomically: true, encoding: .utf8)
    }
}
