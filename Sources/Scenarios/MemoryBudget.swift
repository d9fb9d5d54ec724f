import Foundation

/// The host memory that parallel machines share: each reserves its guest memory plus QEMU's
/// own overhead before it boots, and waits while the rest is taken, so that `--parallel N`
/// never starts more machines than the host holds.
final class MemoryBudget: @unchecked Sendable {
    /// What QEMU needs beyond the guest's memory (under TCG, its translation cache above all).
    static let overheadMiB = 512
    /// What is left to the host itself: composes and image builds run beside the machines.
    static let hostReserveMiB = 1024

    let totalMiB: Int
    private var usedMiB = 0
    private let condition = NSCondition()

    init(totalMiB: Int) { self.totalMiB = totalMiB }

    /// The budget of this host: `MemAvailable` from /proc/meminfo, less the host's reserve.
    static func ofThisHost() -> MemoryBudget {
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let available = meminfo.split(separator: "\n").first { $0.hasPrefix("MemAvailable:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        return MemoryBudget(totalMiB: max(0, available / 1024 - hostReserveMiB))
    }

    /// The reservation for a guest of `guestMiB`.
    static func reservation(forGuest guestMiB: Int) -> Int { guestMiB + overheadMiB }

    /// Waits until `megabytes` are free and takes them; fails at once if the host could
    /// never hold them.
    func reserve(_ megabytes: Int) throws {
        guard megabytes <= totalMiB else {
            throw ScenarioError("a machine needs \(megabytes) MiB with QEMU's overhead; this host has \(totalMiB) MiB to give")
        }
        condition.lock()
        defer { condition.unlock() }
        while usedMiB + megabytes > totalMiB { condition.wait() }
        usedMiB += megabytes
    }

    func release(_ megabytes: Int) {
        condition.lock()
        usedMiB -= megabytes
        condition.broadcast()
        condition.unlock()
    }
}
