import CLinux
import Foundation
import TestSupport
import Testing
import ToolSupport

/// Every deployment change freezes and thaws /boot's filesystem after the boot entries are
/// swapped and before the old ones are deleted (ostree 2022.7 leaves the swap in the ext4
/// journal, which bootloaders do not replay). Tried on a sysroot whose /boot is a real ext4
/// filesystem (a loop mount), on one where freezing is refused (tmpfs), and with treectl
/// interrupted or killed while /boot is frozen: it is always thawed.
@Suite(.serialized) struct PowerSafeWriteTests {
    /// The sysroot's /boot moved onto a filesystem of its own, mounted over it; unmounted by
    /// `unmount()` (call it in a `defer`).
    final class SeparateBoot {
        let mountPoint: String

        init(_ sysroot: ClientSysroot, type: String) throws {
            mountPoint = sysroot.path + "/boot"
            let content = sysroot.scratch.path + "/boot-content"
            try Program.check(["cp", "-a", mountPoint, content])
            if type == "ext4" {
                let image = sysroot.scratch.path + "/boot.img"
                try Program.check(["truncate", "-s", "64M", image])
                try Program.check(["mkfs.ext4", "-q", "-d", content, image])
                try Program.check(["mount", "-o", "loop", image, mountPoint])
            } else {
                try Program.check(["mount", "-t", type, "none", mountPoint])
                try Program.check(["cp", "-a", content + "/.", mountPoint])
            }
        }

        func unmount() { _ = try? Program.run(["umount", "-l", mountPoint]) }

        /// Whether the filesystem is frozen now: freezing it again says so (EBUSY).
        var isFrozen: Bool {
            let fd = open(mountPoint, O_RDONLY | O_DIRECTORY)
            defer { close(fd) }
            if harness_freeze_filesystem(fd) == 0 {
                harness_thaw_filesystem(fd)
                return false
            }
            return errno == EBUSY
        }
    }

    /// Starts `treectl upgrade` with a failpoint; returns the process and its stderr so far
    /// once the failpoint was reached.
    func upgradeStopped(at failpoint: String, sysroot: ClientSysroot) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltExecutable.path("treectl"))
        process.arguments = ["upgrade", "--sysroot", sysroot.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["HARNESS_FAILPOINTS": failpoint]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("failpoint boot-frozen") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        return (process, seen)
    }

    @Test func anUpgradeFreezesAndThawsAnExt4Boot() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let boot = try SeparateBoot(sysroot, type: "ext4")
        defer { boot.unmount() }
        let upgrade = try sysroot.succeed("upgrade")
        #expect(upgrade.stderr.contains("Flushing \(boot.mountPoint) to where the bootloader reads it (freeze and thaw)"))
        #expect(!upgrade.stderr.contains("freezing was refused"))
        #expect(!boot.isFrozen)
        #expect(try sysroot.deployments().first?["checksum"] as? String == sysroot.server.version2)
    }

    @Test func whereFreezingIsRefusedItSyncsAndSaysSo() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let boot = try SeparateBoot(sysroot, type: "tmpfs")
        defer { boot.unmount() }
        let upgrade = try sysroot.succeed("upgrade")
        #expect(upgrade.stderr.contains("\(boot.mountPoint): freezing was refused (Operation not supported); synced it instead"))
        #expect(try sysroot.deployments().first?["checksum"] as? String == sysroot.server.version2)
    }

    @Test func interruptedWhileBootIsFrozenItThawsAndTheNextRunWorks() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let boot = try SeparateBoot(sysroot, type: "ext4")
        defer { boot.unmount() }
        let (process, seen) = try upgradeStopped(at: "boot-frozen=pause", sysroot: sysroot)
        try #require(seen.contains("failpoint boot-frozen"), "treectl ended before the failpoint: \(seen)")
        #expect(boot.isFrozen)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGINT)
        #expect(!boot.isFrozen)
        try sysroot.succeed("cleanup", "-r")
        #expect(try sysroot.deployments().first?["checksum"] as? String == sysroot.server.version2)
    }

    @Test func killedWhileBootIsFrozenTheWatchdogThaws() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let boot = try SeparateBoot(sysroot, type: "ext4")
        defer { boot.unmount() }
        let (process, _) = try upgradeStopped(at: "boot-frozen=kill", sysroot: sysroot)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        var frozen = true
        for _ in 0..<100 where frozen {
            frozen = boot.isFrozen
            if frozen { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(!frozen, "the watchdog thaws /boot once treectl is gone")
        // The list was written before the freeze: the new deployment boots; the next run
        // deletes what the killed one left for its clean-up.
        #expect(try sysroot.deployments().first?["checksum"] as? String == sysroot.server.version2)
        try sysroot.succeed("cleanup", "-r")
        #expect(try sysroot.deployments().count == 1)
    }
}
