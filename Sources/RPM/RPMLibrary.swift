import CLibRPM
import Foundation

/// librpm's process-wide set-up: configuration read once, the database path pinned into the
/// tree, and its chatter (including Debian's "use alien" warning) kept out of the terminal.
enum RPMLibrary {
    /// Where a composed tree keeps its rpmdb, as rpm-ostree does.
    static let databasePath = "/usr/share/rpm"

    private static let setUp: Void = {
        rpmReadConfigFiles(nil, nil)
        harness_rpm_set_verbosity(Int32(RPMLOG_ERR.rawValue))
    }()

    /// Runs `body` holding librpm to ourselves, with the set-up done and `_dbpath` pinned.
    ///
    /// librpm's macros are process-wide and not thread-safe: every use goes through here.
    static func withLibrary<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        pinDatabasePath()
        return try body()
    }

    /// Ensures the set-up ran and `_dbpath` points into the tree.
    ///
    /// Debian's rpm defaults to `$HOME/.rpmdb`, and libdnf re-reads rpm's configuration
    /// (dropping macros defined before) whenever it loads repositories, so the path is checked
    /// and pinned again on every use.
    private static func pinDatabasePath() {
        _ = setUp
        guard let current = harness_rpm_expand("%{_dbpath}") else { return }
        defer { free(current) }
        if String(cString: current) != databasePath {
            rpmPushMacro(nil, "_dbpath", nil, databasePath, RMIL_CMDLINE)
        }
    }

    /// Held while librpm is in use; recursive, since one use may build on another.
    private static let lock = NSRecursiveLock()
}
