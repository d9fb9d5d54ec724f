/// File capabilities in rpm's text form (`cap_net_raw=ep`, as `%caps()` records them)
/// turned into the `security.capability` extended attribute the kernel reads.
public struct FileCapabilities: Equatable, Sendable {
    public var permitted: UInt64 = 0
    public var inheritable: UInt64 = 0
    public var effective: Bool = false

    /// Whether the set grants nothing (rpm writes `=` for such files): no xattr is stored.
    public var isEmpty: Bool { permitted == 0 && inheritable == 0 }

    /// Parses the `cap_from_text(3)` grammar: clauses of comma-separated names followed by
    /// `=`, `+` or `-` and the flags `e`, `i`, `p`; an empty name list means every capability.
    public init(text: String) throws {
        var effectiveBits: UInt64 = 0
        for clause in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            guard let opIndex = clause.firstIndex(where: { "=+-".contains($0) }) else {
                throw CapabilityError(text: text, reason: "clause '\(clause)' has no operator")
            }
            let names = clause[clause.startIndex..<opIndex]
            var mask: UInt64 = 0
            if names.isEmpty || names == "all" {
                mask = (UInt64(1) << UInt64(Self.names.count)) - 1
            } else {
                for name in names.split(separator: ",") {
                    guard let bit = Self.names.firstIndex(of: name.lowercased()) else {
                        throw CapabilityError(text: text, reason: "unknown capability '\(name)'")
                    }
                    mask |= UInt64(1) << UInt64(bit)
                }
            }
            var rest = clause[opIndex...]
            while let op = rest.first {
                rest = rest.dropFirst()
                let flags = rest.prefix { "eip".contains($0) }
                rest = rest.dropFirst(flags.count)
                func apply(_ bits: inout UInt64, _ flag: Character) {
                    switch op {
                    case "=": bits = flags.contains(flag) ? bits | mask : bits & ~mask
                    case "+": if flags.contains(flag) { bits |= mask }
                    default: if flags.contains(flag) { bits &= ~mask }
                    }
                }
                apply(&permitted, "p")
                apply(&inheritable, "i")
                apply(&effectiveBits, "e")
                guard rest.isEmpty || "=+-".contains(rest.first!) else {
                    throw CapabilityError(text: text, reason: "unexpected '\(rest)'")
                }
            }
        }
        effective = effectiveBits != 0
    }

    /// The `security.capability` value (VFS_CAP_REVISION_2, little-endian).
    public var xattrValue: [UInt8] {
        var words: [UInt32] = [0x0200_0000 | (effective ? 1 : 0)]
        words += [UInt32(truncatingIfNeeded: permitted), UInt32(truncatingIfNeeded: inheritable)]
        words += [UInt32(truncatingIfNeeded: permitted >> 32), UInt32(truncatingIfNeeded: inheritable >> 32)]
        return words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
    }

    /// Capability names in kernel bit order (linux/capability.h).
    static let names = [
        "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
        "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
        "cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
        "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct",
        "cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource", "cap_sys_time",
        "cap_sys_tty_config", "cap_mknod", "cap_lease", "cap_audit_write", "cap_audit_control",
        "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
        "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
    ]
}

/// A capability string that does not parse.
public struct CapabilityError: Error, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "file capabilities '\(text)': \(reason)" }
}
