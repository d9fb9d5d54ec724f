import Foundation

/// Where people read what a long job is doing: progress and warnings go to stderr, so that
/// stdout stays free for machine-readable output (a checksum, `--json`).
public enum Console {
    /// Whether progress lines are printed at all (tests and `--quiet` turn them off).
    nonisolated(unsafe) public static var showsProgress = true

    /// One line of progress, e.g. `Importing 3/152 bash-5.2.15-3.x86_64`.
    public static func progress(_ message: String) {
        guard showsProgress else { return }
        writeStderr(message + "\n")
    }

    /// A warning the user should read even when progress is off.
    public static func warning(_ message: String) {
        writeStderr("warning: " + message + "\n")
    }

    /// An error line, as printed just before a non-zero exit.
    public static func error(_ message: String) {
        writeStderr("error: " + message + "\n")
    }

    /// Runs `body` with every line this thread prints prefixed with `label` in brackets
    /// (`[layering] Rebooting ...`): how the lines of tests running side by side stay apart.
    public static func labelled<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        let dictionary = Thread.current.threadDictionary
        let previous = dictionary[labelKey]
        dictionary[labelKey] = "[\(label)] "
        defer { dictionary[labelKey] = previous }
        return try body()
    }

    private static let labelKey = "harness.console.label"

    private static func writeStderr(_ text: String) {
        let label = Thread.current.threadDictionary[labelKey] as? String ?? ""
        FileHandle.standardError.write(Data((label + text).utf8))
    }
}
