import ArgumentParser
import Deploy

/// `treectl rollback`: the previous deployment boots next.
struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make the previous deployment the default.")

    @OptionGroup var options: SysrootOptions
    @OptionGroup var rebootOption: RebootOption

    func run() throws {
        try options.change(reboot: rebootOption.reboot) { try $0.rollback() }
    }
}
