import ArgumentParser
import Deploy

/// `treectl rebase REF`: track another branch, layers applied again.
struct Rebase: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Switch to another branch.")

    @OptionGroup var options: SysrootOptions
    @OptionGroup var rebootOption: RebootOption

    @Argument(help: "REMOTE:REF, or REF of the current remote.")
    var refspec: String

    func run() throws {
        try options.change(reboot: rebootOption.reboot) { try $0.rebase(to: refspec) }
    }
}
