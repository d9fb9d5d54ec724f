import ArgumentParser
import Foundation

/// Where harness keeps its repositories, caches and VMs between runs.
struct StateOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "State directory (default: $XDG_CACHE_HOME/harness or ~/.cache/harness).")
    var stateDirectory: String?

    /// The state directory, absolute.
    var path: String {
        if let stateDirectory { return absolute(stateDirectory) }
        let environment = ProcessInfo.processInfo.environment
        let cacheHome = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? "/root") + "/.cache")
        return cacheHome + "/harness"
    }
}

/// `path` made absolute against the current directory.
func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}

/// `explicit`, or `harness-output/KIND-DATE` with `harness-output/latest` pointing to it.
func makeOutputDirectory(_ explicit: String?, kind: String) throws -> String {
    if let explicit {
        let path = absolute(explicit)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    let parent = absolute("harness-output")
    let name = kind + "-" + formatter.string(from: Date())
    try FileManager.default.createDirectory(atPath: parent + "/" + name, withIntermediateDirectories: true)
    try? FileManager.default.removeItem(atPath: parent + "/latest")
    try? FileManager.default.createSymbolicLink(atPath: parent + "/latest", withDestinationPath: name)
    return parent + "/" + name
}
