import Foundation
import ToolSupport

/// A directory under /var/tmp that lasts as long as the test process: the process-wide
/// fixtures are built into it once, and it is removed when the process exits.
public enum ProcessScratchDirectory {
    /// The directory's path; it is created on first use.
    public static func path() throws -> String {
        try creation.get()
    }

    /// Named with the test process's pid: what a killed test run left, the next harness
    /// command removes (`AbandonedScratch`).
    private static let creation: Result<String, any Error> = Result {
        let made = try TemporaryDirectory.create(prefix: "harness-fixtures-", in: "/var/tmp")
        atexit {
            if case .success(let path) = ProcessScratchDirectory.creation {
                FileTree.removeRecursively(path)
            }
        }
        return made
    }
}
