import Foundation

/// `python3 -m http.server` serving `directory` on a free port of 127.0.0.1, until `stop()`
/// or deinit: the real HTTP server of the update server in scenarios, and of the tests'
/// remotes, rpm-md repositories and keys.
public final class LoopbackHTTPServer {
    public let directory: String
    public let port: Int
    private let server: BackgroundProgram
    /// The server's log (its stderr): a line per request.
    private let log: TemporaryDirectory

    /// Starts the server and waits until it answers.
    public init(directory: String) throws {
        self.directory = directory
        port = try LoopbackPort.free()
        log = try TemporaryDirectory(prefix: "harness-http-")
        server = try BackgroundProgram(["sh", "-c", #"exec python3 -m http.server --bind 127.0.0.1 --directory "$1" "$2" 2>"$3""#,
                                        "sh", directory, String(port), log.path + "/requests.log"])
        for _ in 0..<100 where server.isRunning {
            if try Program.run(["curl", "-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/"]).succeeded { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        server.stop()
        defer { log.remove() }
        throw ProgramError(command: server.arguments,
                           kind: .couldNotRun(reason: "it did not answer on 127.0.0.1:\(port): \(logText.lastLinesOnOneLine(2))"))
    }

    private var logText: String { (try? String(contentsOfFile: log.path + "/requests.log", encoding: .utf8)) ?? "" }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// The paths of the GET requests served so far, in order (from the server's log).
    public var requests: [String] {
        logText.split(separator: "\n").compactMap { line in
            guard let start = line.range(of: "\"GET ") else { return nil }
            return line[start.upperBound...].split(separator: " ").first.map(String.init)
        }
    }

    public func stop() {
        server.stop()
        log.remove()
    }

}

/// A TCP port on 127.0.0.1 free now, for a host forward or a server (the kernel picks it).
public enum LoopbackPort {
    public static func free() throws -> Int {
        let socket = try SystemCallError.check("socket", "127.0.0.1") { Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                _ = try SystemCallError.check("bind", "127.0.0.1:0") { bind(socket, socketAddress, length) }
                _ = try SystemCallError.check("getsockname", "127.0.0.1") { getsockname(socket, socketAddress, &length) }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
