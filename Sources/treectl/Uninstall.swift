import ArgumentParser
import Deploy

/// `treectl uninstall PKG...`: take layered packages off again.
struct Uninstall: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove layered packages.")

    @OptionGroup var options: SysrootOptions
    @OptionGroup var rebootOption: RebootOption

    @Argument(help: "Names of layered packages (as requested, or the name of a layered package file).")
    var packages: [String]

    func run() throws {
        try options.change(reboot: rebootOption.reboot) { client in
            try client.changePackages { origin in
                for name in packages {
                    let requested = origin.requestedPackages.contains(name)
                    let local = origin.requestedLocalPackages.contains { $0.name == name }
                    guard requested || local else {
                        throw DeployError("uninstall: package '\(name)' is not layered (base packages are removed with override remove)")
                    }
                    origin.requestedPackages.removeAll { $0 == name }
                    origin.requestedLocalPackages.removeAll { $0.name == name }
                }
            }
        }
    }
}
