import Foundation
import ToolSupport

/// `python3 -m http.server` serving `directory` on a free loopback port, stopped on deinit: a
/// real HTTP server for remotes, rpm-md repositories and keys.
public final class LoopbackHTTPServer {
    private let process = Process()
    public let port: Int

    public init(directory: String) throws {
        port = Int.random(in: 20000..<60000)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory, String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where !(try Program.run(["curl", "-sf", "-o", "/dev/null", url + "/"]).succeeded) {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// SIGKILL: a child of a test thread inherits its blocked signals, SIGTERM among them.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
