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

    /// Takes `--sysroot` and `--os` before the command too (`treectl --sysroot DIR status`), as
    /// after it: each command declares them, so they are moved behind the command's words.
    static func main() {
        main(SysrootOptions.movedBehindCommand(Array(CommandLine.arguments.dropFirst())))
    }
}
