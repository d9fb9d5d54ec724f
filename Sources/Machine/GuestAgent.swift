import Foundation
import Libvirt

/// The QEMU guest agent of a domain, reached through libvirt: no network needed.
public struct GuestAgent: GuestChannel, @unchecked Sendable {
    let domain: Domain

    public var name: String { "Guest agent" }

    /// Whether the agent answers now.
    public func ping() -> Bool {
        domain.isAgentChannelConnected
            && (try? domain.agentCommand(#"{"execute":"guest-ping"}"#, timeoutSeconds: 5)) != nil
    }

    /// Runs `command` with `/bin/sh -c` in the guest and waits for it.
    public func run(_ command: String, timeout: TimeInterval) throws -> GuestCommandResult {
        let process = try start(command)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let result = try status(of: process) { return result }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw MachineError("'\(command)' did not finish within \(Int(timeout)) s")
    }

    /// Starts `command` with `/bin/sh -c` in the guest, `environment` (`K=V`) added, and
    /// returns its pid without waiting.
    public func start(_ command: String, environment: [String]) throws -> Int {
        var arguments: [String: Any] = ["path": "/bin/sh", "arg": ["-c", command], "capture-output": true]
        if !environment.isEmpty {
            // guest-exec replaces the environment: keep a usable PATH.
            arguments["env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] + environment
        }
        let reply = try call(["execute": "guest-exec", "arguments": arguments])
        guard let pid = (reply["return"] as? [String: Any])?["pid"] as? Int else {
            throw MachineError("guest-exec of '\(command)' returned no pid")
        }
        return pid
    }

    /// What the process `pid` (from `start`) did, or nil while it runs.
    public func status(of pid: Int) throws -> GuestCommandResult? {
        let status = try call(["execute": "guest-exec-status", "arguments": ["pid": pid]])
        guard let result = status["return"] as? [String: Any], result["exited"] as? Bool == true else { return nil }
        func decode(_ key: String) -> String {
            guard let text = result[key] as? String, let data = Data(base64Encoded: text) else { return "" }
            return String(decoding: data, as: UTF8.self)
        }
        // Killed by a signal: no exit code, a signal number instead.
        let exitCode = result["exitcode"] as? Int ?? (result["signal"] as? Int).map { 128 + $0 } ?? -1
        return GuestCommandResult(exitCode: Int32(exitCode), stdout: decode("out-data"), stderr: decode("err-data"))
    }

    public func requestReboot() {
        _ = try? domain.agentCommand(#"{"execute":"guest-shutdown","arguments":{"mode":"reboot"}}"#, timeoutSeconds: 10)
    }

    private func call(_ request: [String: Any]) throws -> [String: Any] {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let reply = try domain.agentCommand(json, timeoutSeconds: 30)
        guard let object = try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any] else {
            throw MachineError("guest agent replied with something other than a JSON object: \(reply)")
        }
        return object
    }
}

/// A machine that did not come up or misbehaved, in words a user can act on.
public struct MachineError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}
