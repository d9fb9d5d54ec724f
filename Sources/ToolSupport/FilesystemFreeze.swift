import CLinux
import Foundation
import SystemPackage

/// Freezing and thawing a filesystem (FIFREEZE, FITHAW), the one way to make a journaled ext4
/// write what its journal holds to its final place: `fsync` and `syncfs` commit the journal,
/// but leave the checkpoint for later, and bootloaders (extlinux, GRUB) read ext4 without
/// replaying its journal. ostree 2022.7 freezes /boot only before it swaps the boot entries;
/// freezing again after the swap is upstream's fix (ostreedev/ostree#3393).
public enum FilesystemFreeze {
    /// How the filesystem was flushed.
    public enum Outcome: Equatable, Sendable {
        case frozenAndThawed
        /// Freezing was refused (not supported, no permission, already frozen): `syncfs`
        /// instead, which commits the journal only.
        case synced(because: Errno)
    }

    /// A watchdog thaws the filesystem if this process dies while it is frozen, after at most
    /// this long otherwise.
    static let watchdogTimeout: Int32 = 30_000

    /// Freezes and thaws the filesystem that holds `path`, running `whileFrozen` in between.
    /// The thaw happens on every path: here, from the SIGINT and SIGTERM handler, and from a
    /// watchdog process when this one is killed.
    @discardableResult
    public static func cycle(_ path: String, whileFrozen: () -> Void = {}) throws -> Outcome {
        let fd = try SystemCallError.check("open", path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        var socket: Int32 = -1
        let watchdog = try SystemCallError.check("start a thaw watchdog for", path) {
            harness_start_thaw_watchdog(fd, watchdogTimeout, &socket)
        }
        defer {
            close(socket)
            var status: Int32 = 0
            while waitpid(watchdog, &status, 0) < 0 && errno == EINTR {}
        }
        let key = "thaw:\(path)"
        let thawFD = fd
        InterruptCleanup.shared.registerAction(key) { harness_thaw_filesystem(thawFD) }
        defer { InterruptCleanup.shared.unregisterAction(key) }
        guard harness_freeze_filesystem(fd) == 0 else {
            let reason = Errno(rawValue: errno)
            try SystemCallError.check("syncfs", path) { harness_syncfs(fd) }
            return .synced(because: reason)
        }
        whileFrozen()
        // EINVAL: no longer frozen, the watchdog's timeout came first.
        guard harness_thaw_filesystem(fd) == 0 || errno == EINVAL else { throw SystemCallError("thaw", path: path) }
        return .frozenAndThawed
    }
}
