import Foundation
import Libvirt

/// libvirt's QEMU driver running inside harness (`qemu:///embed?root=DIR`): no daemon, and
/// its configuration under `DIR/etc`.
public enum EmbeddedDriver {
    /// Keeps libvirt's log to errors (its warnings about privileges, custom guest-agent
    /// commands and file labels are noise to a user). libvirt reads this when it initializes:
    /// call it first thing in `main`.
    public static func quietLogging() {
        quietLibvirtLogging()
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
