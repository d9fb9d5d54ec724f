import Foundation
import RPM
import ToolSupport

/// A scriptlet that could not run or exited non-zero, naming package and scriptlet.
public struct ScriptletError: Error, CustomStringConvertible {
    public var package: String
    public var scriptlet: ScriptletKind
    public var reason: String
    public var description: String { "\(package): \(scriptlet.rawValue) scriptlet \(reason)" }
}

/// Runs RPM scriptlets inside an assembled root under bubblewrap, as a fresh install
/// (`$1` = 1), the way rpm-ostree does instead of letting rpm run them on the host.
public struct ScriptletRunner {
    public let root: String

    public init(root: String) { self.root = root }

    /// Runs one package's scriptlet of `kind`, if it has one. Lua scriptlets are refused: rpm
    /// runs them inside its own process, which a sandboxed tree cannot offer.
    public func run(_ kind: ScriptletKind, of header: RPMHeader) throws {
        for scriptlet in header.scriptlets([kind]) {
            try run(scriptlet, package: header.nevra)
        }
    }

    func run(_ scriptlet: Scriptlet, package: String) throws {
        if scriptlet.isLua {
            throw ScriptletError(package: package, scriptlet: scriptlet.kind,
                                 reason: "is written in Lua, which harness cannot run outside rpm; rebuild the package with a shell scriptlet")
        }
        let sandbox = SandboxedCommand(root: root)
        guard let interpreter = scriptlet.interpreter.first, sandbox.exists(interpreter) else {
            throw ScriptletError(package: package, scriptlet: scriptlet.kind,
                                 reason: "needs \(scriptlet.interpreter.first ?? "an interpreter"), which the tree does not have")
        }
        var command = scriptlet.interpreter
        var configured = sandbox
        let scratch = try TemporaryDirectory(prefix: "harness-scriptlet-")
        defer { scratch.remove() }
        if let body = scriptlet.body {
            let scriptPath = scratch.path + "/script"
            try body.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            configured.readOnlyBinds.append((scriptPath, "/run/harness-scriptlet"))
            command.append("/run/harness-scriptlet")
        }
        command.append("1")
        let result = try configured.run(command)
        guard result.succeeded else {
            let output = result.outputTail()
            throw ScriptletError(package: package, scriptlet: scriptlet.kind,
                                 reason: "failed with exit status \(result.status)" + (output.isEmpty ? "" : ": \(output)"))
        }
    }
}
