import Foundation

/// A directory that exists for one job and is removed with everything in it afterwards.
///
/// Swift may release a local object right after its last use, so a caller that goes on
/// using only `path` must keep the directory alive explicitly: `defer { scratch.remove() }`.
public final class TemporaryDirectory {
    public let path: String

    /// Creates `<parent>/<prefix><pid>-XXXXXX` (see `create`).
    public init(prefix: String, in parent: String? = nil) throws {
        path = try Self.create(prefix: prefix, in: parent)
        InterruptCleanup.shared.register(path)
    }

    /// Where scratch directories go unless a caller says otherwise: `$TMPDIR` or `/var/tmp`.
    public static var defaultParent: String { ProcessInfo.processInfo.environment["TMPDIR"] ?? "/var/tmp" }

    /// Makes `<parent>/<prefix><pid>-XXXXXX` and returns its path; nothing removes it. The pid
    /// in the name lets a later run remove what a killed one left: the first scratch directory
    /// a process makes in a parent sweeps that parent (`AbandonedScratch`).
    public static func create(prefix: String, in parent: String? = nil) throws -> String {
        let base = parent ?? defaultParent
        AbandonedScratch.sweepOnce(base)
        var template = Array("\(base)/\(prefix)\(getpid())-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemCallError("mkdtemp", path: base) }
        return String(cString: made)
    }

    /// Removes the directory now; also done on deinit.
    public func remove() {
        FileTree.removeRecursively(path)
        InterruptCleanup.shared.unregister(path)
    }

    deinit { remove() }
}
