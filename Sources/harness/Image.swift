import ArgumentParser

/// `harness image`: disk images.
struct Image: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build bootable disk images from OSTree commits, first-boot seeds, and disks that carry updates.",
        subcommands: [ImageBuildCommand.self, ImageExtendCommand.self, SeedCommand.self, InstallCommand.self, UpdateDiskCommand.self])
}
