import Foundation
import Libvirt

/// What a command run in the guest did.
public struct GuestCommandResult: Sendable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String
}

/// The QEMU guest agent of a domain, reached through libvirt: no network needed.
public struct GuestAgent {
    let domain: Domain

    /// Whether the agent answers now.
    public func ping() -> Bool {
        domain.isAgentChannelConnected
            && (try? domain.agentCommand(#"{"execute":"guest-ping"}"#, timeoutSeconds: 5)) != nil
    }

    /// Runs `command` with `/bin/sh -c` in the guest and waits for it.
    public func run(_ command: String, timeout: TimeInterval = 600) throws -> GuestCommandResult {
        let request: [String: Any] = ["execute": "guest-exec",
                                      "arguments": ["path": "/bin/sh", "arg": ["-c", command], "capture-output": true]]
        let reply = try call(request)
        guard let pid = (reply["return"] as? [String: Any])?["pid"] as? Int else {
            throw MachineError("guest-exec of '\(command)' returned no pid")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let status = try call(["execute": "guest-exec-status", "arguments": ["pid": pid]])
            if let result = status["return"] as? [String: Any], result["exited"] as? Bool == true {
                func decode(_ key: String) -> String {
                    guard let text = result[key] as? String, let data = Data(base64Encoded: text) else { return "" }
                    return String(decoding: data, as: UTF8.self)
                }
                return GuestCommandResult(exitCode: Int32(result["exitcode"] as? Int ?? -1),
                                          stdout: decode("out-data"), stderr: decode("err-data"))
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw MachineError("'\(command)' did not finish within \(Int(timeout)) s")
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
