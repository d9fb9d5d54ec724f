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

    /// Ensures the set-up ran and `_dbpath` points into the tree.
    ///
    /// Debian's rpm defaults to `$HOME/.rpmdb`, and libdnf re-reads rpm's configuration
    /// (dropping macros defined before) whenever it loads repositories, so the path is checked
    /// and pinned again on every use.
    static func ensureReady() {
        _ = setUp
        guard let current = harness_rpm_expand("%{_dbpath}") else { return }
        defer { free(current) }
        if String(cString: current) != databasePath {
            rpmPushMacro(nil, "_dbpath", nil, databasePath, RMIL_CMDLINE)
        }
    }

    /// librpm is not thread-safe: all calls go through this lock.
    static let lock = NSLock()
}
