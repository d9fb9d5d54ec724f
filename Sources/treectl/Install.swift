import ArgumentParser
import Deploy

/// `treectl install PKG|FILE.rpm...`: layer packages on the base.
struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Layer packages from rpm-md repositories or files.")

    @OptionGroup var options: SysrootOptions
    @OptionGroup var rebootOption: RebootOption

    @Argument(help: "Package names or provides (from the repositories in /etc/yum.repos.d), or paths of .rpm files.")
    var packages: [String]

    func run() throws {
        try options.change(reboot: rebootOption.reboot) { client in
            let files = try packages.filter { $0.hasSuffix(".rpm") }.map { try client.importPackageFile($0) }
            return try client.changePackages { origin in
                for name in packages where !name.hasSuffix(".rpm") {
                    guard !origin.requestedPackages.contains(name) else {
                        throw DeployError("install: package '\(name)' is already requested")
                    }
                    origin.requestedPackages.append(name)
                }
                for file in files where !origin.requestedLocalPackages.contains(file) {
                    origin.requestedLocalPackages.append(file)
                }
            }
        }
    }
}
