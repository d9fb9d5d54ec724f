import ArgumentParser

/// `treectl`: the client inside a booted system, what rpm-ostree's client does, on any
/// OSTree sysroot built by harness (or a directory made with `ostree admin init-fs`).
@main
struct Treectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "treectl",
        abstract: "Manage the deployments of an OSTree-based system built by harness.",
        subcommands: [
            Status.self, Upgrade.self, DeployRevision.self, Rebase.self, Rollback.self,
            Install.self, Uninstall.self, Override.self, Kargs.self, Cleanup.self, DB.self,
        ])
}
