import Foundation

/// What the host saw of a boot: when the power came on (or the reboot was asked for), when
/// the kernel's first line reached the serial console, when the channel answered. The console
/// is looked at between the channel's pings (about once a second).
public struct BootClock: Sendable, Equatable {
    public var poweredOn: Date
    /// The boot began with a reboot request: the old system's shutdown comes first.
    public var isReboot: Bool
    public var kernelSeen: Date?
    public var answered: Date?
    /// The machine was restored from the saved first boot in this directory, not booted:
    /// `poweredOn` is when the restore began, `answered` when the guest was ready.
    public var restoredFrom: String?
    /// Why the saved first boot could not be restored, when the machine booted instead.
    public var restoreFailure: String?

    public init(poweredOn: Date, isReboot: Bool = false, kernelSeen: Date? = nil, answered: Date? = nil,
                restoredFrom: String? = nil, restoreFailure: String? = nil) {
        self.poweredOn = poweredOn
        self.isReboot = isReboot
        self.restoredFrom = restoredFrom
        self.restoreFailure = restoreFailure
        self.kernelSeen = kernelSeen
        self.answered = answered
    }

    /// The kernel's first line on a serial console (printed once per boot).
    public static let kernelBanner = "Linux version "
}

/// Where a boot's time went, in seconds: the firmware and boot loader (the host's clock, until
/// the kernel's first console line), then the guest's own account (systemd's monotonic
/// timestamps, which count from the kernel's start): the kernel until the initramfs's systemd,
/// the initramfs until switch-root (with ostree-prepare-root inside it, from the journal), and
/// userspace until each channel's service was up. `harness spawn --profile` prints it; every
/// scenario boot carries it into the reports.
public struct BootProfile: Codable, Sendable, Equatable {
    public var firmwareAndLoader: Double?
    public var kernel: Double?
    public var initramfs: Double?
    public var prepareRoot: Double?
    /// Seconds from switch-root (userspace's start) until the unit was active, per channel
    /// unit that is (`qemu-guest-agent.service`, `ssh.service`, `sshd.service`).
    public var userspaceToUnit: [String: Double] = [:]
    /// Power-on (or the reboot request) until the channel answered, by the host's clock.
    public var ready: Double?
    /// The host's part starts at a reboot request, the shutdown included.
    public var afterReboot = false

    public init() {}

    static let channelUnits = ["qemu-guest-agent.service", "ssh.service", "sshd.service"]

    /// The guest's side, in one command: systemd's timestamps (µs since the kernel started),
    /// each channel unit's under its own name (Debian's `sshd.service` is an alias of
    /// `ssh.service`), and ostree-prepare-root's journal lines.
    public static let probe = """
        echo "initrd $(systemctl show --value -p InitRDTimestampMonotonic)"
        echo "userspace $(systemctl show --value -p UserspaceTimestampMonotonic)"
        for unit in \(channelUnits.joined(separator: " ")); do
            echo "unit $(systemctl show --value -p Id $unit) $(systemctl show --value -p ActiveEnterTimestampMonotonic $unit)"
        done
        journalctl -b -q --no-pager -o short-monotonic -u ostree-prepare-root.service | grep -E 'Starting|Finished'
        """

    /// The profile from `probe`'s output and the host's clock.
    public static func parse(_ output: String, clock: BootClock) -> BootProfile {
        var profile = BootProfile()
        profile.afterReboot = clock.isReboot
        if let seen = clock.kernelSeen { profile.firmwareAndLoader = seen.timeIntervalSince(clock.poweredOn) }
        if let answered = clock.answered { profile.ready = answered.timeIntervalSince(clock.poweredOn) }
        // Microseconds since the kernel started; 0 is systemd's "never".
        var initrd: UInt64?, userspace: UInt64?, units: [String: UInt64] = [:], prepareStart: Double?, prepareEnd: Double?
        func microseconds(_ text: Substring?) -> UInt64? { text.flatMap { UInt64($0) }.flatMap { $0 > 0 ? $0 : nil } }
        func seconds(_ microseconds: UInt64) -> Double { Double(microseconds) / 1_000_000 }
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            switch fields.first {
            case "initrd": initrd = microseconds(fields.dropFirst().first)
            case "userspace": userspace = microseconds(fields.dropFirst().first)
            case "unit" where fields.count == 3:
                if let active = microseconds(fields[2]) { units[String(fields[1])] = active }
            default:
                // `[    9.123456] host systemd[1]: Starting ostree-prepare-root.service - ...`
                guard line.hasPrefix("["), let close = line.firstIndex(of: "]"),
                      let stamp = Double(line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces)) else { continue }
                if line.contains(": Starting ") { prepareStart = prepareStart ?? stamp }
                if line.contains(": Finished ") { prepareEnd = stamp }
            }
        }
        if let userspace {
            profile.kernel = seconds(initrd ?? userspace)
            if let initrd, userspace >= initrd { profile.initramfs = seconds(userspace - initrd) }
            for (unit, active) in units where active >= userspace { profile.userspaceToUnit[unit] = seconds(active - userspace) }
        }
        if let prepareStart, let prepareEnd, prepareEnd >= prepareStart { profile.prepareRoot = prepareEnd - prepareStart }
        return profile
    }

    /// One line: `firmware and boot loader 6.1 s, kernel 3.0 s, initramfs 12.2 s
    /// (ostree-prepare-root 0.8 s), userspace to qemu-guest-agent 14.9 s; ready 38.4 s after power-on`.
    public var summary: String {
        func format(_ seconds: Double) -> String { String(format: "%.1f s", seconds) }
        var parts: [String] = []
        if let firmwareAndLoader {
            parts.append((afterReboot ? "shutdown, firmware and boot loader " : "firmware and boot loader ") + format(firmwareAndLoader))
        }
        if let kernel { parts.append("kernel " + format(kernel)) }
        if let initramfs {
            parts.append("initramfs " + format(initramfs) + (prepareRoot.map { " (ostree-prepare-root \(format($0)))" } ?? ""))
        }
        for (unit, seconds) in userspaceToUnit.sorted(by: { $0.value < $1.value }) {
            parts.append("userspace to \(unit.replacingOccurrences(of: ".service", with: "")) " + format(seconds))
        }
        let line = parts.isEmpty ? "no guest timestamps" : parts.joined(separator: ", ")
        return line + (ready.map { "; ready \(format($0)) after " + (afterReboot ? "the reboot request" : "power-on") } ?? "")
    }
}
