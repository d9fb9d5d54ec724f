import ArgumentParser
import Deploy

/// `treectl upgrade`: the newest commit of the tracked branch, layers applied again.
struct Upgrade: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Deploy the newest commit of the tracked branch.")

    @OptionGroup var options: SysrootOptions
    @OptionGroup var rebootOption: RebootOption

    @Flag(help: "Only say whether an upgrade is available (fetches commit metadata only).")
    var check = false

    @Flag(help: "Like --check, and list the package changes.")
    var preview = false

    func run() throws {
        if check || preview {
            let client = try options.openClient()
            try client.lock()
            guard let update = try client.checkForUpgrade(preview: preview) else {
                print("No upgrade available.")
                return
            }
            print("Update available: \(update.version.map { "\($0) " } ?? "")(\(update.commit))")
            for line in update.packageDiff?.lines ?? [] { print("  " + line) }
            return
        }
        try options.change(reboot: rebootOption.reboot, unchanged: "No upgrade available.") { try $0.upgrade() }
    }
}
