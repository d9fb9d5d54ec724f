import ArgumentParser
import Deploy
import Foundation
import ToolSupport

/// `treectl db diff|list`: the packages of deployments and commits, from their rpmdb.
struct DB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Query the package databases of commits.", subcommands: [Diff.self, List.self])

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Packages added, removed and changed between two commits (by default: what the next boot changes).")

        @OptionGroup var options: SysrootOptions

        @Flag(help: "Print the changes as JSON on stdout.")
        var json = false

        @Argument(help: "FROM and TO: deployment indexes (0 is the default), checksums or refs.")
        var revisions: [String] = []

        func validate() throws {
            if ![0, 2].contains(revisions.count) { throw ValidationError("give no revision or two") }
        }

        func run() throws {
            let client = try options.openClient()
            let (from, to) = try endpoints(client)
            let diff = try client.packageDiff(from: from, to: to)
            if json {
                try JSONOutput.print(diff)
                return
            }
            print("ostree diff commit from: \(from)")
            print("ostree diff commit to:   \(to)")
            print(diff.lines.isEmpty ? "No package changes." : diff.lines.joined(separator: "\n"))
        }

        /// The two commits: as given, or the current deployment (the one after the default
        /// when the default is current) and the default.
        private func endpoints(_ client: Client) throws -> (String, String) {
            if revisions.count == 2 {
                return (try client.resolveRevision(revisions[0]), try client.resolveRevision(revisions[1]))
            }
            let list = client.deployments
            let current = try client.current()
            guard let next = list.first else { throw DeployError("db diff: there are no deployments") }
            if !next.isSame(as: current) { return (current.checksum, next.checksum) }
            guard list.count > 1 else { throw DeployError("db diff: there is only one deployment; name two revisions") }
            return (list[1].checksum, next.checksum)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The packages of a commit (the default deployment's by default).")

        @OptionGroup var options: SysrootOptions

        @Argument(help: "A deployment index, checksum or ref.")
        var revision: String?

        func run() throws {
            let client = try options.openClient()
            let commit = try revision.map { try client.resolveRevision($0) } ?? client.defaultDeployment().checksum
            for package in try client.packages(inCommit: commit) { print(package.nevra) }
        }
    }
}
