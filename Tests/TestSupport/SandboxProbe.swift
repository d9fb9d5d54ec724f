import Foundation

/// What a script tries when it wants out of its sandbox, written as a shell script that
/// records each outcome in a directory of the tree (and always exits 0, so the compose or
/// layering goes on and the tree can be inspected): its effective capabilities, mounting a
/// filesystem, making the host's disk device, and the kernel's core_pattern (a host-wide
/// setting through which a crash would run any program as root outside every namespace).
public enum SandboxProbe {
    /// The script; results go to `directory` (absolute inside the tree).
    public static func script(results directory: String) -> String {
        """
        mkdir -p \(directory)
        grep CapEff /proc/self/status > \(directory)/caps
        if mount -t tmpfs none /tmp 2>/dev/null; then echo mounted; else echo refused; fi > \(directory)/mount
        if mknod \(directory)/disk b 8 0 2>/dev/null; then echo made; else echo refused; fi > \(directory)/mknod
        if echo '|/bin/sh -c true' > /proc/sys/kernel/core_pattern 2>/dev/null; then echo written; else echo refused; fi > \(directory)/core_pattern
        exit 0
        """
    }

    /// The outcomes recorded in `directory` (a host path into the finished tree).
    public struct Outcome: Equatable {
        public var effectiveCapabilities: UInt64?
        public var mount: String
        public var mknod: String
        public var corePattern: String
    }

    public static func outcome(in directory: String) -> Outcome {
        func read(_ name: String) -> String {
            (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "missing"
        }
        let caps = read("caps").split(separator: "\t").last.flatMap { UInt64($0, radix: 16) }
        return Outcome(effectiveCapabilities: caps, mount: read("mount"), mknod: read("mknod"),
                       corePattern: read("core_pattern"))
    }

    /// Linux capability numbers by name, for the capabilities a sandbox keeps.
    public static let capabilityNumbers: [String: Int] = [
        "cap_chown": 0, "cap_dac_override": 1, "cap_dac_read_search": 2, "cap_fowner": 3, "cap_fsetid": 4,
        "cap_kill": 5, "cap_setgid": 6, "cap_setuid": 7, "cap_setpcap": 8, "cap_net_raw": 13,
        "cap_sys_chroot": 18, "cap_sys_admin": 21, "cap_mknod": 27, "cap_setfcap": 31,
    ]

    /// The host's core_pattern, to check that no script changed it.
    public static func hostCorePattern() -> String {
        (try? String(contentsOfFile: "/proc/sys/kernel/core_pattern", encoding: .utf8)) ?? ""
    }
}
