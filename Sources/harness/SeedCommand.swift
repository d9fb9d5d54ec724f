import ArgumentParser
import Foundation
import ImageBuild

/// `harness image seed`: a cloud-init NoCloud seed disk.
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Write a cloud-init NoCloud seed (an ISO 9660 'cidata' volume) for first-boot configuration.",
        discussion: """
            Attach it to a machine booting a harness image (spawn --disk SEED, or a CD drive): cloud-init \
            makes the users, keys and files it asks for on the first boot.
            """)

    @Option(name: .shortAndLong, help: "The seed image to write.")
    var output: String

    @Option(help: "user-data: '#cloud-config' YAML or a '#!' script (at most 1 MiB).")
    var userData: String?

    @Option(help: "An SSH public key file: the seed makes --user with this key.")
    var sshKey: String?

    @Option(help: "The user made for --ssh-key.")
    var user = "core"

    @Option(help: "The machine's host name (meta-data's local-hostname).")
    var hostname: String?

    func validate() throws {
        guard (userData == nil) != (sshKey == nil) else { throw ValidationError("give --user-data FILE or --ssh-key KEY, one of them") }
    }

    func run() throws {
        let data: SeedDisk.UserData = if let userData { .file(absolute(userData)) } else { .sshKey(absolute(sshKey!), user: user) }
        try SeedDisk(userData: data, hostname: hostname, output: absolute(output)).write()
    }
}
