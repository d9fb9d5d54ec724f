import ArgumentParser

/// `harness compose`: building trees.
struct Compose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compose OSTree commits from treefiles and RPM repositories.",
        subcommands: [ComposeTree.self])
}
