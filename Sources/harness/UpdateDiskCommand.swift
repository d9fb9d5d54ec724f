import ArgumentParser
import ImageBuild

/// `harness image update-disk`: updates for a machine without a network, on a disk.
struct UpdateDiskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-disk",
        abstract: "Write a disk carrying refs of an OSTree repository (and an rpm-md repository) to attach to a machine.",
        discussion: """
            The disk holds an ext4 filesystem labelled harness-updates with repo/ (archive mode) \
            and rpms/ (the packages of every --rpms repository). In the guest: mount -o ro LABEL=harness-updates /run/harness/updates; the \
            image's harness remote then pulls from it.
            """)

    @OptionGroup var state: StateOptions

    @Option(help: "OSTree repository holding the refs (default: STATE/repo).")
    var repo: String?

    @Option(help: "A ref to carry (REF, or REF=SOURCE to carry SOURCE, a ref or checksum, as REF); repeatable.")
    var ref: [String]

    @Option(help: "An rpm-md repository whose packages go into rpms/; repeatable.")
    var rpms: [String] = []

    @Option(name: .shortAndLong, help: "Disk image (raw) to write.")
    var output: String

    func run() throws {
        let refs = ref.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 ? UpdateDisk.Ref(parts[0], from: parts[1]) : UpdateDisk.Ref(entry)
        }
        try UpdateDisk(repository: absolute(repo ?? state.path + "/repo"), refs: refs, rpmRepositories: rpms.map(absolute),
                       output: absolute(output)).write()
    }
}
