import ArgumentParser

/// `harness image`: disk images.
struct Image: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build bootable disk images from OSTree commits.",
        subcommands: [ImageBuildCommand.self])
}
