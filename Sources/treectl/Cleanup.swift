import ArgumentParser
import Deploy

/// `treectl cleanup`: drop the pending or rollback deployments and what only they used.
struct Cleanup: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove pending or rollback deployments.")

    @OptionGroup var options: SysrootOptions

    @Flag(name: .shortAndLong, help: "Remove the pending deployment.")
    var pending = false

    @Flag(name: .shortAndLong, help: "Remove the rollback deployments.")
    var rollback = false

    func validate() throws {
        if !pending && !rollback { throw ValidationError("give at least one of --pending and --rollback") }
    }

    func run() throws {
        let client = try options.openClient()
        try client.lock()
        let removed = try client.cleanup(pending: pending, rollback: rollback)
        print(removed.isEmpty ? "No deployments to remove." : removed.map { "Removed \($0.id)" }.joined(separator: "\n"))
    }
}
