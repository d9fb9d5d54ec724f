import ArgumentParser
import ImageBuild

/// `harness image update-disk`: updates for a machine without a network, on a disk.
struct UpdateDiskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-disk",
        abstract: "Write a disk carrying refs of an OSTree repository (and an rpm-md repository) to attach to a machine.",
        discussion: """
            The disk holds an ext4 filesystem labelled harness-updates with repo/ (archive mode) \
            and rpms/. In the guest: mount -o ro LABEL=harness-updates /run/harness/updates; the \
            image's harness remote then pulls from it.
            """)

    @OptionGroup var state: StateOptions

    @Option(help: "OSTree repository holding the refs (default: STATE/repo).")
    var repo: String?

    @Option(help: "A ref to carry; repeatable.")
    var ref: [String]

    @Option(help: "An rpm-md repository to carry as rpms/.")
    var rpms: String?

    @Option(name: .shortAndLong, help: "Disk image (raw) to write.")
    var output: String

    func run() throws {
        try UpdateDisk(repository: absolute(repo ?? state.path + "/repo"), refs: ref, rpmRepository: rpms.map(absolute),
                       output: absolute(output)).write()
    }
}
