import ArgumentParser
import Deploy
import Foundation
import ToolSupport

/// Options every command takes.
struct SysrootOptions: ParsableArguments {
    @Option(help: "The sysroot to act on: / on a booted system, or a directory made with `ostree admin init-fs`.")
    var sysroot: String = "/"

    @Option(name: .customLong("os"), help: "The stateroot (OS name) to act on; the booted one by default.")
    var osName: String?

    /// The client for the sysroot, read-only until `change` locks it.
    func openClient() throws -> Client {
        InterruptCleanup.shared.installSignalHandlers()
        return try Client(sysrootPath: sysroot, osName: osName)
    }

    /// Runs a change under the sysroot lock, then says what it did (the new deployment and
    /// its package changes) and reboots when asked to.
    func change(reboot: Bool, unchanged: String = "No change.", _ body: (Client) throws -> Deployment?) throws {
        let client = try openClient()
        if reboot && !(client.deployments.contains(where: \.isBooted)) {
            throw ValidationError("--reboot needs a booted system; \(sysroot) is not booted")
        }
        try client.lock()
        // Read before the change: a pending deployment it replaces is pruned with its commit.
        let previous = try client.defaultDeployment().checksum
        let previousPackages = try client.packages(inCommit: previous)
        let created = try body(client)
        if let fetch = client.lastFetch {
            print("Fetched \(ByteCount.format(fetch.bytesTransferred)) ("
                  + (fetch.usedStaticDelta ? "static delta, \(fetch.deltaPartsFetched) part\(fetch.deltaPartsFetched == 1 ? "" : "s")"
                                           : "\(fetch.objectsFetched) objects, no static delta") + ")")
        }
        guard let created else {
            print(unchanged)
            return
        }
        print("Deployed \(created.id)")
        let diff = PackageDiff(from: previous, previousPackages, to: created.checksum, try client.packages(inCommit: created.checksum))
        for line in diff.lines { print("  " + line) }
        if reboot {
            try Program.check(["systemctl", "reboot"])
        } else if client.deployments.contains(where: \.isBooted) {
            print("Run \"systemctl reboot\" to start a reboot")
        }
    }

    /// The options every command takes, given before the command.
    static let leadingOptions = ["--sysroot", "--os"]

    /// `arguments` with `--sysroot DIR`, `--os NAME` (and their `=` forms) that come before
    /// the command's first word moved to the end, where the command reads them.
    static func movedBehindCommand(_ arguments: [String]) -> [String] {
        var moved: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if leadingOptions.contains(where: { argument.hasPrefix($0 + "=") }) {
                moved.append(argument)
                index += 1
            } else if leadingOptions.contains(argument), index + 1 < arguments.count {
                moved += [argument, arguments[index + 1]]
                index += 2
            } else {
                break
            }
        }
        return Array(arguments[index...]) + moved
    }
}

/// `--reboot`, taken by every command that makes a deployment.
struct RebootOption: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Reboot into the new deployment once it is written (a booted system only).")
    var reboot = false
}
