import ArgumentParser

/// `treectl`: the client inside a booted system, what rpm-ostree's client does (status,
/// upgrade, deploy, rollback, package layering and overrides). Its commands are being built on
/// the tree-assembly core shared with `harness compose`.
@main
struct Treectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "treectl",
        abstract: "Manage the deployments of an OSTree-based system built by harness.")
}
