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
    /// The root's `CopyUpMount` shared by every run (`withMountedRoot`); nil mounts it for each.
    let mountPoint: String?

    public init(root: String) {
        self.root = root
        mountPoint = nil
    }

    private init(root: String, mountPoint: String) {
        self.root = root
        self.mountPoint = mountPoint
    }

    /// Runs `body` with a runner whose scriptlets all see the root through one mount, instead
    /// of a mount of their own each (a mount and an unmount cost about as much as a short
    /// script). Changes made to the root from outside while it is mounted may be seen late
    /// through it (FUSE caches attributes): make them between two of these.
    public static func withMountedRoot<Result>(_ root: String, _ body: (ScriptletRunner) throws -> Result) throws -> Result {
        try CopyUpMount.with(tree: root) { try body(ScriptletRunner(root: root, mountPoint: $0)) }
    }

    /// Runs one package's scriptlet of `kind`, if it has one, with `arguments` (`$1`: the
    /// package's instances after the operation, 1 for an install, 0 for an erase).
    public func run(_ kind: ScriptletKind, of header: RPMHeader, arguments: [String] = ["1"]) throws {
        for scriptlet in header.scriptlets([kind]) {
            try run(scriptlet, package: header.nevra, arguments: arguments)
        }
    }

    /// Runs a trigger's script with its arguments and input.
    public func run(_ firing: TriggerFiring) throws {
        do {
            try run(firing.script, package: firing.owner, arguments: firing.arguments, input: firing.input)
        } catch var error as ScriptletError {
            error.reason = "(-- \(firing.target)) " + error.reason
            throw error
        }
    }

    /// Runs `scriptlet` with `arguments` (`$1`...: rpm's instance counts) and `input` on stdin;
    /// a Lua one with rpm's Lua (`SandboxedLua`), in the same sandbox.
    func run(_ scriptlet: Scriptlet, package: String, arguments: [String] = ["1"], input: String? = nil) throws {
        var configured = SandboxedCommand(root: root, mountPoint: mountPoint)
        var command: [String]
        if scriptlet.isLua {
            let lua: SandboxedLua
            do { lua = try SandboxedLua.host.get() } catch {
                throw ScriptletError(package: package, scriptlet: scriptlet.kind, reason: "is written in Lua, and \(error)")
            }
            configured.readOnlyBinds += lua.binds
            configured.environment.merge(lua.environment) { _, new in new }
            command = lua.command
        } else {
            guard let interpreter = scriptlet.interpreter.first, configured.exists(interpreter) else {
                throw ScriptletError(package: package, scriptlet: scriptlet.kind,
                                     reason: "needs \(scriptlet.interpreter.first ?? "an interpreter"), which the tree does not have")
            }
            command = scriptlet.interpreter
        }
        let scratch = try TemporaryDirectory(prefix: "harness-scriptlet-")
        defer { scratch.remove() }
        if let body = scriptlet.body {
            let scriptPath = scratch.path + "/script"
            try body.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            configured.readOnlyBinds.append((scriptPath, "/run/harness-scriptlet"))
            command.append("/run/harness-scriptlet")
        }
        command += arguments
        let result = try configured.run(command, input: input)
        guard result.succeeded else {
            let output = result.outputTail()
            throw ScriptletError(package: package, scriptlet: scriptlet.kind,
                                 reason: "failed with exit status \(result.status)" + (output.isEmpty ? "" : ": \(output)"))
        }
    }
}
