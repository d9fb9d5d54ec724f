import ArgumentParser
import Deploy

/// `treectl override replace|remove|reset`: change base packages.
struct Override: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace or remove packages of the base.",
        subcommands: [Replace.self, Remove.self, Reset.self])

    struct Replace: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace base packages with package files.")

        @OptionGroup var options: SysrootOptions
        @OptionGroup var rebootOption: RebootOption

        @Argument(help: "Paths of .rpm files, each replacing the base package of the same name.")
        var files: [String]

        func run() throws {
            try options.change(reboot: rebootOption.reboot) { client in
                let packages = try files.map { try client.importPackageFile($0) }
                return try client.changePackages { origin in
                    for package in packages {
                        origin.replacedBasePackages.removeAll { $0.name == package.name }
                        origin.replacedBasePackages.append(package)
                    }
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove base packages.")

        @OptionGroup var options: SysrootOptions
        @OptionGroup var rebootOption: RebootOption

        @Argument(help: "Names of base packages.")
        var packages: [String]

        func run() throws {
            try options.change(reboot: rebootOption.reboot) { client in
                try client.changePackages { origin in
                    for name in packages where !origin.removedBasePackages.contains(name) {
                        origin.removedBasePackages.append(name)
                    }
                }
            }
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Undo overrides: the base packages come back.")

        @OptionGroup var options: SysrootOptions
        @OptionGroup var rebootOption: RebootOption

        @Flag(help: "Reset every override.")
        var all = false

        @Argument(help: "Names of overridden packages.")
        var packages: [String] = []

        func validate() throws {
            if all == !packages.isEmpty { throw ValidationError("name packages to reset, or give --all") }
        }

        func run() throws {
            try options.change(reboot: rebootOption.reboot) { client in
                try client.changePackages { origin in
                    if all {
                        origin.removedBasePackages = []
                        origin.replacedBasePackages = []
                    }
                    for name in packages {
                        let overridden = origin.removedBasePackages.contains(name)
                            || origin.replacedBasePackages.contains { $0.name == name }
                        guard overridden else { throw DeployError("override reset: package '\(name)' has no override") }
                        origin.removedBasePackages.removeAll { $0 == name }
                        origin.replacedBasePackages.removeAll { $0.name == name }
                    }
                }
            }
        }
    }
}
