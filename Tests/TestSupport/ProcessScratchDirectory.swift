import Foundation
import ToolSupport

/// A directory under /var/tmp that lasts as long as the test process: the process-wide
/// fixtures are built into it once, and it is removed when the process exits.
public enum ProcessScratchDirectory {
    /// The directory's path; it is created on first use.
    public static func path() throws -> String {
        try creation.get()
    }

    private static let creation: Result<String, any Error> = Result {
        var template = Array("/var/tmp/harness-fixtures-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        atexit {
            if case .success(let path) = ProcessScratchDirectory.creation {
                FileTree.removeRecursively(path)
            }
        }
        return String(cString: made)
    }
}
