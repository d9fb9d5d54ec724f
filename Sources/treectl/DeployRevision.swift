import ArgumentParser
import Deploy

/// `treectl deploy REV|VERSION`: a given commit or version of the tracked branch.
struct DeployRevision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Deploy a given commit or version of the tracked branch.")

    @OptionGroup var options: SysrootOptions
    @OptionGroup var rebootOption: RebootOption

    @Argument(help: "A commit checksum, or the version of a commit in the branch's history.")
    var revision: String

    func run() throws {
        try options.change(reboot: rebootOption.reboot) { try $0.deploy(revision: revision) }
    }
}
