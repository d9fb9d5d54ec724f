import Foundation
import ToolSupport

/// rpm's own Lua (`rpmlua`: Lua with rpm's `rpm.*` and `posix.*` extensions, what rpm runs
/// `<lua>` scriptlets with inside itself), run inside the scriptlet sandbox instead: the host's
/// `rpmlua`, its libraries and rpm's configuration bound read-only under /run/harness-lua and
/// started through the host's dynamic loader, so it needs nothing from the tree, while every
/// file it opens and program it runs is the tree's. `arg[2]` is `$1`, as rpm passes it.
struct SandboxedLua {
    static let directory = "/run/harness-lua"

    /// Host paths bound into the sandbox (host path, sandbox path).
    let binds: [(String, String)]
    /// The command before the script's path and arguments.
    let command: [String]
    let environment: [String: String]

    /// The host's rpmlua as found once (nil when the host has none: Lua scriptlets then fail,
    /// naming what is missing).
    static let host: Result<SandboxedLua, any Error> = Result { try locate() }

    private static func locate() throws -> SandboxedLua {
        let executable = "/usr/bin/rpmlua", configuration = "/usr/lib/rpm"
        guard FileManager.default.isExecutableFile(atPath: executable),
              FileManager.default.fileExists(atPath: configuration + "/rpmrc") else {
            throw ScriptletSetupError("rpm's Lua (\(executable) and \(configuration)/rpmrc, Debian's rpm package) is not installed")
        }
        // `ldd` names the loader and every library directory the executable needs.
        guard let listing = try? Program.run(["ldd", executable]), listing.succeeded else {
            throw ScriptletSetupError("ldd \(executable) failed: cannot find the libraries of rpm's Lua")
        }
        var loader: String?
        var libraryDirectories: [String] = []
        for line in listing.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if let arrow = fields.firstIndex(of: "=>"), arrow + 1 < fields.count, fields[arrow + 1].hasPrefix("/") {
                let directory = (fields[arrow + 1] as NSString).deletingLastPathComponent
                if !libraryDirectories.contains(directory) { libraryDirectories.append(directory) }
            } else if let first = fields.first?.trimmingCharacters(in: .whitespaces), first.hasPrefix("/"), first.contains("ld-linux") {
                loader = first
            }
        }
        guard let loader else { throw ScriptletSetupError("ldd \(executable) names no dynamic loader") }
        var binds = [(executable, directory + "/rpmlua"), (loader, directory + "/ld.so"), (configuration, directory + "/rpm")]
        for (index, library) in libraryDirectories.enumerated() { binds.append((library, directory + "/lib\(index)")) }
        let libraryPath = libraryDirectories.indices.map { directory + "/lib\($0)" }.joined(separator: ":")
        return SandboxedLua(binds: binds, command: [directory + "/ld.so", "--library-path", libraryPath, directory + "/rpmlua",
                                                    "-e", "rpm.next_file = function() return io.read('l') end"],
                            environment: ["RPM_CONFIGDIR": directory + "/rpm"])
    }
}

/// What keeps a kind of scriptlet from running on this host at all.
struct ScriptletSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
