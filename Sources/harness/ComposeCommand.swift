import ArgumentParser

/// `harness compose`: building trees.
struct ComposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compose",
        abstract: "Compose OSTree commits from treefiles and RPM repositories.",
        subcommands: [ComposeTree.self])
}
