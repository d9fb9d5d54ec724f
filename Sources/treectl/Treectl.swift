import ArgumentParser

/// `treectl`: the client inside a booted system, what rpm-ostree's client does. `status` is
/// here; upgrade, deploy, rollback, layering and overrides follow on the tree-assembly core
/// shared with `harness compose`.
@main
struct Treectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "treectl",
        abstract: "Manage the deployments of an OSTree-based system built by harness.",
        subcommands: [Status.self])
}

/// Options every command takes.
struct SysrootOptions: ParsableArguments {
    @Option(help: "The sysroot to act on: / on a booted system, or a directory made with `ostree admin init-fs`.")
    var sysroot: String = "/"
}
