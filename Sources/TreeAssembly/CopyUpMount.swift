import Foundation
import ToolSupport

/// A tree seen through ostree's `rofiles-fuse --copyup` while untrusted scripts run in it.
///
/// Assembled trees are hard links into the package cache (and, on a client, into the objects
/// the booted and rollback deployments use). Through this mount a script may create, delete,
/// rename and replace files freely, but a file with more than one link is copied before it is
/// opened for writing or has its mode or owner changed, so the shared inode never changes.
/// This is what rpm-ostree mounts over `/usr` and `/etc` for its scripts.
enum CopyUpMount {
    /// Mounts `tree` at a new mount point, runs `body` with the mount point's path, then
    /// unmounts (also when interrupted) and removes the mount point.
    static func with<Result>(tree: String, _ body: (String) throws -> Result) throws -> Result {
        let mountPoint = try TemporaryDirectory.create(prefix: "harness-rofiles-")
        // Never registered as a scratch path: removing it recursively while mounted would
        // delete the tree through the mount. It is unmounted first, then only rmdir'ed.
        let key = "rofiles:" + mountPoint
        InterruptCleanup.shared.registerAction(key) { unmount(mountPoint) }
        defer {
            unmount(mountPoint)
            InterruptCleanup.shared.unregisterAction(key)
        }
        let result = try Program.runDaemonizing(["rofiles-fuse", "--copyup", tree, mountPoint])
        guard result.succeeded else {
            throw AssemblyError.io(path: tree, message: "rofiles-fuse could not mount it: \(result.outputTail())")
        }
        return try body(mountPoint)
    }

    /// Unmounts (lazily when busy) and removes the mount point; quiet when not mounted.
    static func unmount(_ mountPoint: String) {
        if isMounted(mountPoint) {
            if !((try? Program.run(["fusermount", "-u", "-q", mountPoint]))?.succeeded ?? false) {
                _ = try? Program.run(["fusermount", "-u", "-z", "-q", mountPoint])
            }
        }
        rmdir(mountPoint)
    }

    static func isMounted(_ path: String) -> Bool { MountTable.mountPoints().contains(path) }
}
